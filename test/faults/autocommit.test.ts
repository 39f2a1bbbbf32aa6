/**
 * A `-- transaction: false` revision stopped between two statements. After
 * kill -9 the migrator can write nothing, so the trace is written before: a
 * 'started' log row, committed before the first statement. The revision is
 * never recorded as applied, and the next `up` runs the file again from the
 * top (so such files must be safe to repeat, as the docs say).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tempProject } from '../support/folder.js';
import { query } from '../support/pg.js';
import { runMigrate, startMigrate } from '../support/process.js';
import { appliedIds } from '../support/db-assert.js';
import { backendGone, backendsGone, chain, databaseNoticingDeadClients, ids, lockHolders, logRows, revision, runningStatement, sleepingBackend, tableExists } from '../support/faults.js';

/** 0003 runs outside a transaction: its table (safe to repeat), then a sleep of fault.sleep seconds. */
const files = {
  ...chain(2),
  ...revision('0003', '0002', `create table if not exists t0003 (id int);
select pg_sleep(coalesce(nullif(current_setting('fault.sleep', true), ''), '0')::float8);`, 'drop table t0003;', '-- transaction: false'),
};

const autocommit = suite('faults: a "-- transaction: false" revision stopped between statements');

for (const how of ['kill -9', 'pg_terminate_backend'] as const) {
  autocommit(`${how} while its 2nd statement runs: a 'started' row is the trace, never recorded as applied, the next up reruns it`, async () => {
    const p = tempProject(files);
    const db = await databaseNoticingDeadClients();
    try {
      await query(db.url, `alter database "${db.name}" set fault.sleep = '30'`);
      const m = startMigrate(['up', '--db', db.url, '--no-color'], { cwd: p.cwd });
      try {
        const backend = await runningStatement(db.url, 'pg_sleep(', m);
        assert.ok(await tableExists(db.url, 't0003'), 'statement 1 committed on its own');
        if (how === 'kill -9') m.signal('SIGKILL');
        else await query(db.url, 'select pg_terminate_backend($1)', [backend]);
        const r = await m.result(15_000);
        if (how === 'kill -9') assert.is(r.signal, 'SIGKILL');
        else {
          assert.is(r.code, 5, r.stderr);
          assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
          assert.match(r.stderr, /outside a transaction|connection/);
        }
        await backendGone(db.url, backend);
      } finally {
        await m.stop();
      }
      await backendsGone(db.url);
      assert.equal(await appliedIds(db.url), ['0001', '0002'], '0003 is not recorded');
      assert.ok(await tableExists(db.url, 't0003'), 'what statement 1 did stays done');
      assert.equal(await lockHolders(db.url), []);
      const log = (await logRows(db.url)).map((l) => `${l.action} ${l.revision}`);
      assert.equal(log, ['up 0001', 'up 0002', 'started 0003'], 'the last word on 0003 is \'started\'');

      await query(db.url, `alter database "${db.name}" reset fault.sleep`);
      const again = await runMigrate(['up', '--db', db.url, '--no-color'], { cwd: p.cwd });
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stderr, /^applied 0003 /m, 'the same file ran again');
      assert.equal(await appliedIds(db.url), ids(3));
      assert.equal((await logRows(db.url)).map((l) => `${l.action} ${l.revision}`).slice(2), ['started 0003', 'started 0003', 'up 0003']);
    } finally {
      await db.drop();
      p.cleanup();
    }
  });
}



autocommit('the connection lost while recording it, after all its statements ran: exit 5, says what ran, not recorded, the next up reruns it', async () => {
  // The revision slows down sqlrev's own bookkeeping: a trigger on the revisions table sleeps.
  const slowBookkeeping = `create or replace function slow_bookkeeping() returns trigger language plpgsql as $$
begin perform pg_sleep(coalesce(nullif(current_setting('fault.sleep', true), ''), '0')::float8); return new; end $$;
create or replace trigger slow_bookkeeping before insert on sqlrev.revisions for each row execute function slow_bookkeeping();`;
  const p = tempProject({ ...chain(2), ...revision('0003', '0002', slowBookkeeping, 'drop trigger slow_bookkeeping on sqlrev.revisions;\ndrop function slow_bookkeeping();', '-- transaction: false') });
  const db = await databaseNoticingDeadClients();
  try {
    await query(db.url, `alter database "${db.name}" set fault.sleep = '30'`);
    const m = startMigrate(['up', '--db', db.url, '--no-color'], { cwd: p.cwd });
    try {
      const backend = await sleepingBackend(db.url, m); // in the trigger: the only sleep
      await query(db.url, 'select pg_terminate_backend($1)', [backend]);
      const r = await m.result(15_000);
      assert.is(r.code, 5, r.stderr);
      assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
      assert.match(r.stderr, /2 statement\(s\)[^\n]* already ran/, `says that both statements ran:\n${r.stderr}`);
      assert.not.match(r.stderr, /the revision is not recorded/, `it cannot know that: only the answer to the COMMIT may be lost\n${r.stderr}`);
      await backendGone(db.url, backend);
    } finally {
      await m.stop();
    }
    await backendsGone(db.url);
    assert.equal(await appliedIds(db.url), ['0001', '0002'], '0003 is not recorded');
    assert.equal((await logRows(db.url)).map((l) => `${l.action} ${l.revision}`), ['up 0001', 'up 0002', 'started 0003']);
    await query(db.url, `alter database "${db.name}" reset fault.sleep`);
    const again = await runMigrate(['up', '--db', db.url, '--no-color'], { cwd: p.cwd });
    assert.is(again.code, 0, again.stderr);
    assert.equal(await appliedIds(db.url), ids(3));
  } finally {
    await db.drop();
    p.cleanup();
  }
});
autocommit.run();
