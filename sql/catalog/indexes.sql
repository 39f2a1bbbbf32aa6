-- Indexes, named "<index> on <table>", defined by pg_get_indexdef (which
-- qualifies the table with its schema: the search_path is pg_catalog). The
-- index behind a primary key, unique or exclusion constraint is the
-- constraint's business (constraints.sql) and is not repeated here.
select 'index' as kind, n.nspname as schema, t.relname || '.' || ic.relname as name,
       format('%I on %I.%I', ic.relname, n.nspname, t.relname) as title,
       concat_ws(E'\n',
         pg_get_indexdef(i.indexrelid),
         case when not i.indisvalid then 'invalid' end,
         case when i.indisclustered then 'clustered' end,
         'comment is ' || quote_literal(obj_description(ic.oid, 'pg_class'))) as body
  from pg_index i
  join pg_class ic on ic.oid = i.indexrelid
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
 where not exists (select from pg_constraint con
                    where con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x'))
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = t.oid and d.deptype = 'e');
