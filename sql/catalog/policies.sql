-- Row-level security policies, named "<policy> on <table>". Whether the table
-- enables or forces row-level security is on the table's block (tables.sql).
select 'policy' as kind, n.nspname as schema, c.relname || '.' || p.polname as name,
       format('%I on %I.%I', p.polname, n.nspname, c.relname) as title,
       concat_ws(E'\n',
         case when p.polpermissive then 'as permissive' else 'as restrictive' end,
         'for ' || case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                                 when 'd' then 'delete' else 'all' end,
         (select 'to ' || string_agg(role, ', ' order by role collate "C")
            from (select case r when 0 then 'public' else quote_ident(pg_get_userbyid(r)) end as role
                    from unnest(p.polroles) r) roles),
         'using (' || pg_get_expr(p.polqual, p.polrelid) || ')',
         'with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')',
         'comment is ' || quote_literal(obj_description(p.oid, 'pg_policy'))) as body
  from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e');
