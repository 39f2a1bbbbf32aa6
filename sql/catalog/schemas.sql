-- Schemas: one block each, with its comment.
-- `public` as CREATE DATABASE leaves it (its standard comment) is not shown,
-- so an empty database has an empty snapshot; a dropped `public` shows as
-- absent. With privileges (sqlrev.privileges = on) `public` is always shown,
-- since its grants are what people change.
--
-- Every file in sql/catalog/ returns rows of (kind, schema, name, title, body):
-- src/snapshot.ts prints each row as a block headed "<kind> <title>", body
-- lines indented. It runs them with search_path = pg_catalog, so every other
-- name comes out schema-qualified whatever the caller's search_path. In psql:
--   set search_path = pg_catalog;
--   set sqlrev.exclude_schemas = '{sqlrev}';
--   set sqlrev.privileges = off;  set sqlrev.extension_versions = off;
select 'schema' as kind, n.nspname as schema, n.nspname as name,
       quote_ident(n.nspname) as title,
       'comment is ' || quote_literal(obj_description(n.oid, 'pg_namespace')) as body
  from pg_namespace n
 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
   and not (n.nspname = 'public'
            and obj_description(n.oid, 'pg_namespace') is not distinct from 'standard public schema'
            and current_setting('sqlrev.privileges') <> 'on')
union all
select 'schema', 'public', 'public', 'public', 'absent (dropped since CREATE DATABASE)'
 where not exists (select from pg_namespace where nspname = 'public')
   and 'public' <> all (current_setting('sqlrev.exclude_schemas')::text[]);
