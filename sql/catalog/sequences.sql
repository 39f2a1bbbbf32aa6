-- Sequences: their definition (type, start, increment, bounds, cache, cycle)
-- and the column that owns them, marked "(identity)" for an identity column's
-- sequence. Where a sequence stands (last_value) is data, not schema: left out.
select 'sequence' as kind, n.nspname as schema, c.relname as name,
       format('%I.%I', n.nspname, c.relname) as title,
       concat_ws(E'\n',
         'type ' || format_type(s.seqtypid, null),
         'start ' || s.seqstart,
         'increment ' || s.seqincrement,
         'minvalue ' || s.seqmin,
         'maxvalue ' || s.seqmax,
         'cache ' || s.seqcache,
         case when s.seqcycle then 'cycle' end,
         case when c.relpersistence = 'u' then 'unlogged' end,
         (select format('owned by %I.%I.%I', tn.nspname, t.relname, a.attname)
                 || case d.deptype when 'i' then ' (identity)' else '' end
            from pg_depend d
            join pg_class t on t.oid = d.refobjid
            join pg_namespace tn on tn.oid = t.relnamespace
            join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
           where d.classid = 'pg_class'::regclass and d.objid = c.oid
             and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i')),
         'comment is ' || quote_literal(obj_description(c.oid, 'pg_class'))) as body
  from pg_class c
  join pg_sequence s on s.seqrelid = c.oid
  join pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'S'
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e');
