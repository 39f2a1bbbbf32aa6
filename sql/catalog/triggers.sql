-- Triggers written by users (not the internal ones behind foreign keys), named
-- "<trigger> on <table>", defined by pg_get_triggerdef, with their enabled
-- state when not the default (ALTER TABLE ... DISABLE TRIGGER).
select 'trigger' as kind, n.nspname as schema, c.relname || '.' || t.tgname as name,
       format('%I on %I.%I', t.tgname, n.nspname, c.relname) as title,
       concat_ws(E'\n',
         pg_get_triggerdef(t.oid, false),
         case t.tgenabled when 'D' then 'disabled' when 'R' then 'enabled replica' when 'A' then 'enabled always' end,
         'comment is ' || quote_literal(obj_description(t.oid, 'pg_trigger'))) as body
  from pg_trigger t
  join pg_class c on c.oid = t.tgrelid
  join pg_namespace n on n.oid = c.relnamespace
 where not t.tgisinternal
   and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   and n.nspname <> all (current_setting('sqlrev.exclude_schemas')::text[])
   and not exists (select from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e');
