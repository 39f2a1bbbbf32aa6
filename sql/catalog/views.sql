-- Views and materialized views: the query as pg_get_viewdef prints it (pretty;
-- its layout differs between major versions, never between runs), options
-- (security_barrier, check_option, ...) sorted, and comments.
select case c.relkind when 'v' then 'view' else 'materialized view' end as kind,
       n.nspname as schema, c.relname as name,
       format('%I.%I', n.nspname, c.relname) as title,
       concat_ws(E'\n',
         (select 'with (' || string_agg(o, ', ' order by o collate "C") || ')' from unnest(c.reloptions) o),
         'as',
         pg_get_viewdef(c.oid, true),
         'comment is ' || quote_literal(obj_description(c.oid, 'pg_class')),
         (select string_agg(format('comment on column %I is %L', a.attname, col_description(c.oid, a.attnum)),
                            E'\n' order by a.attnum)
            from pg_attribute a
           where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
             and col_description(c.oid, a.attnum) is not null)) as body
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('v', 'm')
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e');
