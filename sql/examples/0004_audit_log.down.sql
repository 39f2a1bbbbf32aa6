drop trigger users_audit on users;
drop function audit_user_change();
drop table audit_log;
