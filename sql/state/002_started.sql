-- sqlrev state schema, version 2: the log also records 'started'.
--
-- A `-- transaction: false` revision logs 'started' in autocommit before its
-- first statement, so that a run killed part-way (kill -9, a crash, a lost
-- connection) leaves a trace: a 'started' row with no 'up', 'down' or
-- 'failed' row after it for that revision means its statements may have run
-- in part. Upgrading keeps every row.
alter table :"schema".log drop constraint log_action_check;
alter table :"schema".log add constraint log_action_check
  check (action in ('up', 'down', 'stamp', 'rehash', 'failed', 'started'));

update :"schema".meta set value = '2' where key = 'state_version';
