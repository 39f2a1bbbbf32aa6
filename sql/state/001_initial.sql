-- sqlrev state schema, version 1.
--
-- sqlrev runs this file itself, in one transaction, the first time it
-- changes a database. :"schema" stands for the state schema's name (default
-- sqlrev), quoted; a DBA can run the same file by hand with
--   psql -v schema=sqlrev -f sql/state/001_initial.sql

create schema if not exists :"schema";

-- Which version of this state schema is installed; later sqlrev releases
-- add files 002_…, 003_… and upgrade in place without losing rows.
create table :"schema".meta (
  key   text primary key,
  value text not null
);
insert into :"schema".meta (key, value) values ('state_version', '1');

-- One row per applied revision. The texts are kept so that `down` works when
-- the files are gone and so that an edit shows as a diff.
create table :"schema".revisions (
  id            text primary key,
  parents       text[] not null,
  message       text not null,
  up_checksum   text not null,
  down_checksum text not null,
  up_text       text not null,
  down_text     text not null,
  up_path       text,
  down_path     text,
  applied_at    timestamptz not null default now(),
  applied_by    text not null default current_user,
  -- How the revision got here: 'up' ran its SQL, 'stamp' recorded it without running.
  applied_how   text not null default 'up' check (applied_how in ('up', 'stamp')),
  duration      interval
);

-- Every action, append-only: the history of what happened to this database.
create table :"schema".log (
  seq          bigint generated always as identity primary key,
  at           timestamptz not null default now(),
  action       text not null check (action in ('up', 'down', 'stamp', 'rehash', 'failed')),
  revision     text,
  db_user      text not null default current_user,
  client_host  text,
  tool_version text not null,
  duration     interval,
  detail       jsonb
);
create index log_revision_idx on :"schema".log (revision, seq);

-- The log is append-only: updates and deletes are refused.
create function :"schema".log_is_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'the sqlrev log is append-only'
    using hint = 'rows in the log record what happened; they are never changed';
end;
$$;
create trigger log_append_only
  before update or delete on :"schema".log
  for each statement execute function :"schema".log_is_append_only();
