-- Functions and procedures, named by name and identity arguments (overloads
-- are separate blocks), defined by pg_get_functiondef: language, volatility,
-- security, settings and the body exactly as stored. Aggregates have their own
-- file (pg_get_functiondef refuses them). Functions PostgreSQL makes as part of
-- another object (the constructors of a range or multirange type: pg_depend
-- deptype 'i') follow from that object and are left out.
select case p.prokind when 'p' then 'procedure' else 'function' end as kind,
       n.nspname as schema,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name,
       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as title,
       concat_ws(E'\n',
         rtrim(pg_get_functiondef(p.oid), E'\n'),
         'comment is ' || quote_literal(obj_description(p.oid, 'pg_proc'))) as body
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
 where p.prokind in ('f', 'p', 'w')
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype in ('e', 'i'));
