-- Extensions: name and schema. The version differs between servers that ship
-- different releases of an extension, so it is shown only when asked
-- (sqlrev.extension_versions = on). The objects an extension creates are left
-- out of every other file (pg_depend deptype 'e'): the extension stands for them.
select 'extension' as kind, n.nspname as schema, e.extname as name,
       quote_ident(e.extname) as title,
       concat_ws(E'\n',
         'schema ' || quote_ident(n.nspname),
         case when current_setting('sqlrev.extension_versions') = 'on' then 'version ' || e.extversion end,
         'comment is ' || quote_literal(obj_description(e.oid, 'pg_extension'))) as body
  from pg_extension e
  join pg_namespace n on n.oid = e.extnamespace
 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[]);
