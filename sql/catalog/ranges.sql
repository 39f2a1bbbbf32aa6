-- Range types: subtype, its operator class and collation, and the canonical and
-- subtype-difference functions when set. The multirange type PostgreSQL makes
-- alongside follows from these and is not listed.
select 'range type' as kind, n.nspname as schema, t.typname as name,
       format('%I.%I', n.nspname, t.typname) as title,
       concat_ws(E'\n',
         'subtype ' || format_type(r.rngsubtype, null),
         (select format('subtype opclass %I.%I', ocn.nspname, oc.opcname)
            from pg_opclass oc join pg_namespace ocn on ocn.oid = oc.opcnamespace
           where oc.oid = r.rngsubopc and not oc.opcdefault),
         (select format('collate %I.%I', cn.nspname, co.collname)
            from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
           where co.oid = r.rngcollation
             and r.rngcollation <> (select st.typcollation from pg_type st where st.oid = r.rngsubtype)),
         'canonical ' || nullif(r.rngcanonical::oid, 0)::regprocedure::text,
         'subtype diff ' || nullif(r.rngsubdiff::oid, 0)::regprocedure::text,
         'comment is ' || quote_literal(obj_description(t.oid, 'pg_type'))) as body
  from pg_type t
  join pg_range r on r.rngtypid = t.oid
  join pg_namespace n on n.oid = t.typnamespace
 where t.typtype = 'r'
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e');
