-- parent: base
-- message: create users

create table users (
  id         bigint generated always as identity primary key,
  email      text not null,
  full_name  text not null,
  created_at timestamptz not null default now()
);

comment on table users is 'People who can sign in.';
