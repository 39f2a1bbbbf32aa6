-- Table constraints (primary key, unique, check, foreign key, exclusion), one
-- block each, named "<constraint> on <table>", defined by pg_get_constraintdef.
-- Left out: not-null constraints, which PostgreSQL 18 records in pg_constraint
-- (contype 'n') and which tables.sql shows as "not null" on the column as for
-- older servers; and constraint triggers (contype 't'), shown by triggers.sql.
select 'constraint' as kind, n.nspname as schema, c.relname || '.' || con.conname as name,
       format('%I on %I.%I', con.conname, n.nspname, c.relname) as title,
       concat_ws(E'\n',
         pg_get_constraintdef(con.oid),
         'comment is ' || quote_literal(obj_description(con.oid, 'pg_constraint'))) as body
  from pg_constraint con
  join pg_class c on c.oid = con.conrelid
  join pg_namespace n on n.oid = c.relnamespace
 where con.contype not in ('n', 't')
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e');
