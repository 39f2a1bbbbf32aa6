-- Aggregates, minimally: arguments, result, state function and type, final and
-- combine functions, initial state, kind when not a plain aggregate.
select 'aggregate' as kind, n.nspname as schema,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name,
       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as title,
       concat_ws(E'\n',
         case a.aggkind when 'o' then 'ordered-set' when 'h' then 'hypothetical-set' end,
         'returns ' || format_type(p.prorettype, null),
         'sfunc ' || a.aggtransfn::regprocedure::text,
         'stype ' || format_type(a.aggtranstype, null),
         'finalfunc ' || nullif(a.aggfinalfn::oid, 0)::regprocedure::text,
         'combinefunc ' || nullif(a.aggcombinefn::oid, 0)::regprocedure::text,
         'initcond ' || quote_literal(a.agginitval),
         'sortop ' || nullif(a.aggsortop, 0)::regoperator::text,
         'comment is ' || quote_literal(obj_description(p.oid, 'pg_proc'))) as body
  from pg_proc p
  join pg_aggregate a on a.aggfnoid = p.oid
  join pg_namespace n on n.oid = p.pronamespace
 where p.prokind = 'a'
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e');
