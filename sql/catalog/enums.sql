-- Enum types: labels in their sort order (the order comparisons use), one a line.
select 'enum type' as kind, n.nspname as schema, t.typname as name,
       format('%I.%I', n.nspname, t.typname) as title,
       concat_ws(E'\n',
         (select string_agg('label ' || quote_literal(e.enumlabel), E'\n' order by e.enumsortorder)
            from pg_enum e where e.enumtypid = t.oid),
         'comment is ' || quote_literal(obj_description(t.oid, 'pg_type'))) as body
  from pg_type t
  join pg_namespace n on n.oid = t.typnamespace
 where t.typtype = 'e'
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e');
