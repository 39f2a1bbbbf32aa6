-- Domains: base type, collation when not the base type's, not null, default,
-- and the check constraints by name. Not-null constraints that PostgreSQL 17+
-- also records in pg_constraint (contype 'n') are shown as "not null" only,
-- as on older servers.
select 'domain' as kind, n.nspname as schema, t.typname as name,
       format('%I.%I', n.nspname, t.typname) as title,
       concat_ws(E'\n',
         'type ' || format_type(t.typbasetype, t.typtypmod),
         (select format('collate %I.%I', cn.nspname, co.collname)
            from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
           where co.oid = t.typcollation and t.typcollation <> b.typcollation),
         case when t.typnotnull then 'not null' end,
         'default ' || pg_get_expr(t.typdefaultbin, 0),
         (select string_agg(format('constraint %I %s', c.conname, pg_get_constraintdef(c.oid)), E'\n'
                            order by c.conname collate "C")
            from pg_constraint c where c.contypid = t.oid and c.contype <> 'n'),
         'comment is ' || quote_literal(obj_description(t.oid, 'pg_type')),
         (select string_agg(format('comment on constraint %I is %L', c.conname, obj_description(c.oid, 'pg_constraint')),
                            E'\n' order by c.conname collate "C")
            from pg_constraint c
           where c.contypid = t.oid and obj_description(c.oid, 'pg_constraint') is not null)) as body
  from pg_type t
  join pg_type b on b.oid = t.typbasetype
  join pg_namespace n on n.oid = t.typnamespace
 where t.typtype = 'd'
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e');
