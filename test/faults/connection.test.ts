/**
 * The connection lost mid-run: pg_terminate_backend from another session, the
 * whole server stopped and started again, the answer to a COMMIT lost on the
 * way back (a TCP proxy), and postgres.js retiring its connection. Expected
 * (DESIGN.md §6–7): a clean error without a stack trace, exit 5, nothing half
 * recorded, the lock gone with the session, and a rerun that finishes the
 * job. A lost connection is never silently reopened: a new session would hold
 * neither sqlrev's lock nor the transaction in progress.
 *
 * A revision sleeps as long as the database setting fault.sleep says, so the
 * rerun runs the very same files with the setting reset (no edit, no checksum
 * change).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, errorCode } from '../../src/db.js';
import { startEmbedded } from '../../src/embedded.js';
import { tempProject } from '../support/folder.js';
import { query, withDatabase } from '../support/pg.js';
import { runMigrate, startMigrate, until } from '../support/process.js';
import { backendGone, backendsGone, chain, chainParent, ids, lockHolders, logRows, migratorBackends, recordedAndReal, replay, revision, sleepingBackend } from '../support/faults.js';

/** pg_sleep for fault.sleep seconds (0 when unset). */
const SLEEP = `select pg_sleep(coalesce(nullif(current_setting('fault.sleep', true), ''), '0')::float8)`;

/** 0001 and 0002 are quick; 0003 creates its table, then sleeps (`tail` comes after). */
function sleepingThird(tail = '', headers = ''): Record<string, string> {
  return { ...chain(2), ...revision('0003', '0002', `create table t0003 (id int);\n${SLEEP};\n${tail}`, 'drop table t0003;', headers) };
}

/** A clean error: exit 5, says the connection was lost, no stack trace, no lock warning from a reopened session. */
function assertCleanLoss(r: { code: number | null; stderr: string; stdout: string }): void {
  assert.is(r.code, 5, `exit code\n${r.stderr}`);
  assert.match(r.stderr, /connection/i);
  assert.not.match(r.stderr, /^\s+at /m, `no stack trace:\n${r.stderr}`);
  assert.not.match(r.stderr, /internal error/, r.stderr);
  assert.not.match(r.stderr, /WARNING/, `nothing ran on a reopened session:\n${r.stderr}`);
}

/** Recorded = real, the log replays to it, no lock held, no backend of sqlrev left. */
async function assertConsistent(url: string, applied: string[]): Promise<void> {
  await backendsGone(url);
  assert.equal(await recordedAndReal(url), { recorded: applied, real: applied });
  assert.equal([...replay(await logRows(url), chainParent)].sort(), applied, 'the log replays to the recorded set');
  assert.equal(await lockHolders(url), [], 'the lock is free');
}

const terminate = suite('faults: the connection lost mid-run');

/**
 * Start `up` (with `more` options), terminate its backend while 0003 sleeps,
 * and return what it printed; the database's fault.sleep is 30 s meanwhile.
 */
/**
 * The migrator's backend terminated while revision 0003 sleeps: a clean loss,
 * 0001 and 0002 applied, `check` for more; then a rerun applies all three.
 */
async function terminatedThenRerun(files: Record<string, string>, more: string[] = [], check: (url: string) => Promise<void> = async () => undefined): Promise<void> {
  const p = tempProject(files);
  try {
    await withDatabase(async (url) => {
      assertCleanLoss(await terminated(url, p.cwd, ...more));
      await check(url);
      await assertConsistent(url, more.includes('--single-transaction') ? [] : ['0001', '0002']);
      const again = await runMigrate(['up', '--db', url, '--no-color', ...more], { cwd: p.cwd });
      assert.is(again.code, 0, again.stderr);
      await assertConsistent(url, ids(3));
    });
  } finally {
    p.cleanup();
  }
}

async function terminated(url: string, cwd: string, ...more: string[]) {
  const [{ db }] = await query(url, 'select current_database() as db');
  await query(url, `alter database "${db}" set fault.sleep = '30'`);
  const m = startMigrate(['up', '--db', url, '--no-color', ...more], { cwd });
  try {
    const pid = await sleepingBackend(url, m);
    await query(url, 'select pg_terminate_backend($1)', [pid]);
    const r = await m.result(15_000); // far below the 30 s sleep: the loss ended the run
    await backendGone(url, pid);
    await query(url, `alter database "${db}" reset fault.sleep`);
    return r;
  } finally {
    await m.stop();
  }
}

terminate('terminated mid-revision: exit 5, clean error, the revision rolled back, the lock gone, a rerun applies it', async () => {
  await terminatedThenRerun(sleepingThird());
});

terminate('terminated under --single-transaction: none of the 120 statements piped behind the sleep runs on a new session', async () => {
  // --single-transaction pipes a revision's statements: 120 of them behind the
  // sleep, more than postgres.js writes at once by default (100).
  const more = Array.from({ length: 120 }, (_, k) => `create table t0003_${k} ();`).join('\n');
  await terminatedThenRerun(sleepingThird(more), ['--single-transaction'], async (url) => {
    const strays = await query(url, `select tablename from pg_tables where tablename like 't0003\\_%'`);
    assert.equal(strays.map((r) => r.tablename), [], 'no statement of 0003 ran outside the run\'s transaction');
  });
});

terminate('terminated at commit, after the bookkeeping rows were written: neither the revision nor its rows survive', async () => {
  // A deferred constraint trigger sleeps at COMMIT, after the revision row and the log row are inserted.
  const atCommit = `create function t0003_at_commit() returns trigger language plpgsql as $$ begin perform pg_sleep(coalesce(nullif(current_setting('fault.sleep', true), ''), '0')::float8); return null; end $$;
create constraint trigger t0003_slow after insert on t0003 deferrable initially deferred for each row execute function t0003_at_commit();
insert into t0003 values (1);`;
  await terminatedThenRerun({ ...chain(2), ...revision('0003', '0002', `create table t0003 (id int);\n${atCommit}`, 'drop table t0003;\ndrop function t0003_at_commit();') });
});

terminate('the reply to a revision\'s COMMIT lost on the way back: committed with its record, exit 5 without claiming otherwise, a rerun has nothing to do', async () => {
  const p = tempProject(chain(3));
  const sockets = new Set<Socket>();
  let proxy: Server | undefined;
  try {
    await withDatabase(async (url) => {
      const real = new URL(url);
      // Between sqlrev and the server: once the client has sent revision 0003
      // (the message that inserts its record and commits), the server's answer
      // is dropped and the client's socket cut.
      proxy = createServer((client) => {
        const server = tcpConnect(Number(real.port || 5432), real.hostname);
        sockets.add(client).add(server);
        let sent = '';
        client.on('data', (d) => { sent += d.toString('latin1'); server.write(d); });
        server.on('data', (d) => (/'0003'[\s\S]*commit;/.test(sent) ? client.destroy() : client.write(d)));
        client.on('error', () => server.destroy());
        server.on('error', () => client.destroy());
        client.on('close', () => server.end());
      });
      await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
      const via = new URL(url);
      via.port = String((proxy.address() as AddressInfo).port);
      const r = await runMigrate(['up', '--db', via.href, '--no-color'], { cwd: p.cwd });
      assert.is(r.code, 5, r.stderr);
      assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
      assert.not.match(r.stderr, /was not recorded/, `the client cannot know that:\n${r.stderr}`);
      await assertConsistent(url, ids(3)); // the server committed 0003 and its record together
      const again = await runMigrate(['up', '--db', url, '--no-color'], { cwd: p.cwd });
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stderr, /nothing to apply/);
      await assertConsistent(url, ids(3));
    });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    p.cleanup();
  }
});

terminate('a run outliving postgres.js\'s connection lifetime keeps its one session, and so its lock', async () => {
  // PGMAX_LIFETIME=1 shortens postgres.js's default (30–60 min) to 1 s, unless
  // sqlrev sets its own; 0002 outlasts it. Each revision notes its backend.
  const note = (id: string) => `insert into pids values ('${id}', pg_backend_pid());`;
  const p = tempProject({
    ...revision('0001', 'base', `create table pids (id text, pid int);\n${note('0001')}`, 'drop table pids;'),
    ...revision('0002', '0001', `${note('0002')}\nselect pg_sleep(1.5);`, ''),
    ...revision('0003', '0002', note('0003'), ''),
  });
  try {
    await withDatabase(async (url) => {
      const r = await runMigrate(['up', '--db', url, '--no-color'], { cwd: p.cwd, env: { PGMAX_LIFETIME: '1' } });
      assert.is(r.code, 0, r.stderr);
      const pids = await query(url, 'select id, pid from pids order by id');
      assert.is(new Set(pids.map((row) => row.pid)).size, 1, `one session ran every revision: ${JSON.stringify(pids)}`);
    });
  } finally {
    p.cleanup();
  }
});

terminate('a lost connection is refused, never reopened on a new session', async () => {
  await withDatabase(async (url) => {
    const conn = await connect({ url });
    try {
      await query(url, 'select pg_terminate_backend($1)', [conn.pid]);
      const outcome = await until('the client to see its connection lost', async () => {
        try {
          const [row] = await conn.sql`select pg_backend_pid() as pid`;
          return Number(row.pid) === conn.pid ? undefined : `ran on a new backend ${row.pid}`;
        } catch (err) {
          return `refused (${errorCode(err)})`;
        }
      });
      assert.match(outcome, /^refused/);
      // Later queries too, and no session of sqlrev was opened meanwhile.
      const later = await conn.sql`select 1`.then(() => 'ran', (err) => `refused (${errorCode(err)})`);
      // Ended or still being destroyed when the query comes (a race under load): refused either way.
      assert.match(later, /^refused \(CONNECTION_(ENDED|DESTROYED)\)$/);
      assert.equal(await migratorBackends(url), []);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });
});

terminate.run();

const restart = suite('faults: the server restarts mid-run (an embedded server of the test\'s own)');

restart('the server stopped while a revision sleeps: exit 5, clean error; started again, the state is consistent and a rerun applies', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sqlrev-fault-restart-'));
  const p = tempProject(sleepingThird());
  let server = await startEmbedded({ dataDir });
  try {
    const url = server.url.replace(/\/[^/]*$/, '/faults');
    await query(server.url, 'create database faults');
    await query(server.url, `alter database faults set fault.sleep = '30'`);
    const m = startMigrate(['up', '--db', url, '--no-color'], { cwd: p.cwd });
    try {
      await sleepingBackend(url, m);
      await server.stop(); // fast shutdown: the server ends every connection
      assertCleanLoss(await m.result(15_000));
    } finally {
      await m.stop();
    }
    server = await startEmbedded({ dataDir, port: server.port });
    await query(server.url, 'alter database faults reset fault.sleep');
    await assertConsistent(url, ['0001', '0002']);
    const again = await runMigrate(['up', '--db', url, '--no-color'], { cwd: p.cwd });
    assert.is(again.code, 0, again.stderr);
    await assertConsistent(url, ids(3));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    p.cleanup();
  }
});

restart.run();
