-- Ownership and grants, run only when asked (sqlrev.privileges = on). Rows of
-- (kind, schema, name, line): src/snapshot.ts adds each line to the block of
-- the same kind, schema and name (rows for objects the other files leave out
-- are dropped there). An ACL never set reads as the owner's default one
-- (acldefault), so GRANT then REVOKE leaves no trace; grants are one line per
-- grantee, grantor and grant option, with the privileges sorted.
with objects (kind, schema, name, owner, acl) as (
  select 'schema', n.nspname, n.nspname, n.nspowner, coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))
    from pg_namespace n
  union all
  select case c.relkind when 'f' then 'foreign table' when 'v' then 'view' when 'm' then 'materialized view'
                        when 'S' then 'sequence' else 'table' end,
         n.nspname, c.relname, c.relowner,
         coalesce(c.relacl, acldefault((case c.relkind when 'S' then 's' else 'r' end)::"char", c.relowner))
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S')
  union all
  select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
         n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.proowner,
         coalesce(p.proacl, acldefault('f'::"char", p.proowner))
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  union all
  select case t.typtype when 'e' then 'enum type' when 'd' then 'domain' when 'c' then 'composite type'
                        else 'range type' end,
         n.nspname, t.typname, t.typowner, coalesce(t.typacl, acldefault('T'::"char", t.typowner))
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
   where t.typtype in ('e', 'd', 'c', 'r')
  union all
  select 'extension', n.nspname, e.extname, e.extowner, null
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace
),
columns (kind, schema, name, owner, attname, acl) as (
  select case c.relkind when 'f' then 'foreign table' when 'v' then 'view' when 'm' then 'materialized view'
                        else 'table' end,
         n.nspname, c.relname, c.relowner, a.attname, a.attacl
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'f', 'v', 'm') and a.attnum > 0 and not a.attisdropped and a.attacl is not null
)
select kind, schema, name, 'owner ' || quote_ident(pg_get_userbyid(owner)) as line
  from objects
 where schema !~ '^pg_' and schema <> 'information_schema'
union all
select o.kind, o.schema, o.name,
       format('grant %s to %s%s%s',
              string_agg(x.privilege_type, ', ' order by x.privilege_type collate "C"),
              case x.grantee when 0 then 'public' else quote_ident(pg_get_userbyid(x.grantee)) end,
              case when x.is_grantable then ' with grant option' else '' end,
              case when x.grantor <> o.owner then ' granted by ' || quote_ident(pg_get_userbyid(x.grantor)) else '' end)
  from objects o, aclexplode(o.acl) x
 where o.schema !~ '^pg_' and o.schema <> 'information_schema'
 group by o.kind, o.schema, o.name, o.owner, x.grantee, x.grantor, x.is_grantable
union all
select c.kind, c.schema, c.name,
       format('grant %s (%I) to %s%s%s',
              string_agg(x.privilege_type, ', ' order by x.privilege_type collate "C"),
              c.attname,
              case x.grantee when 0 then 'public' else quote_ident(pg_get_userbyid(x.grantee)) end,
              case when x.is_grantable then ' with grant option' else '' end,
              case when x.grantor <> c.owner then ' granted by ' || quote_ident(pg_get_userbyid(x.grantor)) else '' end)
  from columns c, aclexplode(c.acl) x
 where c.schema !~ '^pg_' and c.schema <> 'information_schema'
 group by c.kind, c.schema, c.name, c.owner, c.attname, x.grantee, x.grantor, x.is_grantable;
