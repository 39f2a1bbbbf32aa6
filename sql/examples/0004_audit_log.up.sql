-- parent: 0002
-- message: audit log (security team)

create table audit_log (
  id         bigint generated always as identity primary key,
  user_id    bigint references users (id) on delete set null,
  action     text not null,
  at         timestamptz not null default now()
);

-- A trigger function with a dollar-quoted body: its semicolons belong to it.
create function audit_user_change() returns trigger language plpgsql as $$
begin
  insert into audit_log (user_id, action) values (new.id, tg_op || ';' || tg_table_name);
  return new;
end;
$$;

create trigger users_audit after insert or update on users
  for each row execute function audit_user_change();
