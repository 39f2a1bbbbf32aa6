-- Composite types (CREATE TYPE ... AS (...)): attributes in order, with their
-- collation when not their type's, and comments.
select 'composite type' as kind, n.nspname as schema, t.typname as name,
       format('%I.%I', n.nspname, t.typname) as title,
       concat_ws(E'\n',
         (select string_agg(concat_ws(' ', 'attribute', quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                                      (select format('collate %I.%I', cn.nspname, co.collname)
                                         from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
                                        where co.oid = a.attcollation and a.attcollation <> at.typcollation)),
                            E'\n' order by a.attnum)
            from pg_attribute a join pg_type at on at.oid = a.atttypid
           where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped),
         'comment is ' || quote_literal(obj_description(t.oid, 'pg_type')),
         (select string_agg(format('comment on attribute %I is %L', a.attname, col_description(a.attrelid, a.attnum)),
                            E'\n' order by a.attnum)
            from pg_attribute a
           where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
             and col_description(a.attrelid, a.attnum) is not null)) as body
  from pg_type t
  join pg_class c on c.oid = t.typrelid and c.relkind = 'c'
  join pg_namespace n on n.oid = t.typnamespace
 where t.typtype = 'c'
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e');
