/**
 * Running under pressure (DESIGN.md §6), through the real `migrate`
 * executable on a fresh database each: several runners at once, the lock
 * and its timeout, Ctrl-C and SIGTERM mid-statement, kill -9 mid-statement,
 * --wait, and runners taking turns going up and down.
 *
 * Nothing here waits a fixed time: a test polls the condition it needs
 * (pg_stat_activity, pg_locks, the migrator's output) up to a deadline.
 */
import { writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lockKey } from '../src/db.js';
import { tempProject } from './support/folder.js';
import { query, withDatabase } from './support/pg.js';
import { runMigrate, startMigrate, until, type Migrator } from './support/process.js';
import { appliedIds } from './support/db-assert.js';
import { backendGone, backendsGone, chain, chainParent, databaseNoticingDeadClients, ids, LOCK_CLASS, lockHolders, lockWaiters, logRows, migratorBackends, recordedAndReal, replay, revision, runningRevision, runningStatement, SCHEMA, tableExists } from './support/faults.js';

// ---------------------------------------------------------------- helpers

/** A connection of the test's own, on which it can hold locks. */
function session(url: string, application: string): postgres.Sql {
  return postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: application } });
}

const up = (url: string, ...more: string[]) => ['up', '--db', url, '--no-color', ...more];

// ---------------------------------------------------------------- many runners at once

const runners = suite('engine concurrency: runners at once');

for (const count of [5, 20]) runners(`${count} migrate up started at once apply every revision exactly once and all exit 0`, async () => {
  // Every third revision does a little work of its own, so the first runner holds the lock a while.
  const p = tempProject(chain(12, (k) => (k % 3 === 0 ? 'select pg_sleep(0.05);' : `insert into t${String(k).padStart(4, '0')} values (${k});`)));
  const all: Migrator[] = [];
  try {
    await withDatabase(async (url) => {
      for (let i = 0; i < count; i++) all.push(startMigrate(up(url, '--lock-timeout', '120'), { cwd: p.cwd }));
      const results = await Promise.all(all.map((m) => m.result(60_000)));
      for (const r of results) assert.is(r.code, 0, `exit code\n${r.stderr}`);

      assert.equal(await appliedIds(url), ids(12));
      const log = await logRows(url);
      assert.equal(log.filter((r) => r.action === 'failed'), [], 'no failed runs');
      assert.equal(log.filter((r) => r.action === 'up').map((r) => r.revision).sort(), ids(12), 'one up row per revision');
      assert.equal([...replay(log, chainParent)].sort(), ids(12), 'the log replays to the applied set');
      for (const id of ids(12)) assert.ok(await tableExists(url, `t${id}`), `t${id} exists`);

      // The first to take the lock applies everything; the others have nothing left once they get it.
      const appliedBy = results.map((r) => [...r.stderr.matchAll(/^applied (\d{4}) /gm)].map((m) => m[1]));
      const appliers = appliedBy.filter((a) => a.length > 0);
      assert.is(appliers.length, 1, `exactly one runner applied revisions: ${JSON.stringify(appliedBy)}`);
      assert.equal(appliers[0], ids(12));
      for (const r of results) {
        if (/^applied /m.test(r.stderr)) continue;
        assert.match(r.stderr, /nothing to apply/, 'a runner that applied nothing says there was nothing to do');
        if (/waiting for the lock/.test(r.stderr)) assert.match(r.stderr, /waiting for the lock on schema "sqlrev": held by (pid \d+|another session)/);
      }
    });
  } finally {
    await Promise.all(all.map((m) => m.stop()));
    p.cleanup();
  }
});

runners('runners that wait for the lock name the holder\'s pid, then re-read the state and find nothing to do', async () => {
  // Revision 0006 waits on a gate (an advisory lock the test holds) as its own work, so
  // the first runner holds sqlrev's lock until the four others are seen waiting for it.
  const GATE = 7_340_033;
  const p = tempProject(chain(12, (k) => (k === 6 ? `select pg_advisory_xact_lock(${GATE});` : '')));
  const all: Migrator[] = [];
  await withDatabase(async (url) => {
    const gate = session(url, 'sqlrev-test-gate');
    try {
      await gate`select pg_advisory_lock(${GATE})`;
      for (let i = 0; i < 5; i++) all.push(startMigrate(up(url), { cwd: p.cwd }));
      const applier = await until('one runner blocked at the gate in revision 0006', async () => {
        const rows = await query(url, `select pid from pg_locks where locktype = 'advisory' and not granted and classid = 0 and objid = $1`, [GATE]);
        return rows.length === 1 ? Number(rows[0].pid) : undefined;
      }, { alive: all });
      await until('four runners waiting for sqlrev\'s lock', async () => (await lockWaiters(url)).length === 4 || undefined, { alive: all });
      assert.equal(await lockHolders(url), [applier], 'the runner at the gate holds sqlrev\'s lock');
      assert.equal(await appliedIds(url), ids(5), 'revisions before the gate are committed one by one');

      await gate`select pg_advisory_unlock(${GATE})`;
      const results = await Promise.all(all.map((m) => m.result(60_000)));
      for (const r of results) assert.is(r.code, 0, `exit code\n${r.stderr}`);

      const waiters = results.filter((r) => !/^applied /m.test(r.stderr));
      assert.is(waiters.length, 4, 'four runners applied nothing');
      for (const r of waiters) {
        assert.ok(r.stderr.includes(`held by pid ${applier} (sqlrev `), `names the holder's pid and application:\n${r.stderr}`);
        assert.match(r.stderr, /nothing to apply/);
      }
      assert.equal(await appliedIds(url), ids(12));
      assert.equal((await logRows(url)).filter((r) => r.action === 'up').map((r) => r.revision).sort(), ids(12));
    } finally {
      await Promise.all(all.map((m) => m.stop()));
      await gate.end({ timeout: 1 });
      p.cleanup();
    }
  });
});

runners('three runners alternating up head and down base: at every moment sampled the state matches the schema, and the log replays consistently', async () => {
  const N = 5;
  const ROUNDS = 8;
  const p = tempProject(chain(N));
  try {
    await withDatabase(async (url) => {
      const codes: { args: string; code: number | null; stderr: string }[] = [];
      let running = true;
      let samples = 0;
      // Meanwhile: each snapshot shows every revision recorded iff its table exists (once, by the primary key).
      const sampler = (async () => {
        while (running) {
          const now = await recordedAndReal(url);
          assert.equal(now.recorded, now.real, `sample ${samples}: recorded revisions vs tables`);
          samples++;
        }
      })();
      const loop = async () => {
        for (let i = 0; i < ROUNDS; i++) {
          for (const args of [['up', 'head'], ['down', 'base']]) {
            // A lock timeout far above what a turn takes: every command must get its turn.
            const r = await runMigrate([...args, '--db', url, '--no-color', '--lock-timeout', '120'], { cwd: p.cwd }, 120_000);
            codes.push({ args: args.join(' '), code: r.code, stderr: r.stderr });
          }
        }
      };
      try {
        await Promise.all([loop(), loop(), loop()]);
      } finally {
        running = false;
        await sampler;
      }
      assert.is(codes.length, 6 * ROUNDS);
      for (const c of codes) assert.is(c.code, 0, `${c.args}: ${c.stderr}`);
      assert.ok(samples > 10, `${samples} samples taken`);

      // Replay the log in order: an up of an applied revision, an up before its parent,
      // a down of an unapplied one or a down under an applied child would be a lost race.
      const log = await logRows(url);
      assert.equal(log.filter((r) => r.action === 'failed'), [], 'no failed runs');
      const applied = replay(log, chainParent);
      assert.equal(await appliedIds(url), [...applied].sort(), 'the revisions table matches the replayed log');
      for (const id of ids(N)) assert.is(await tableExists(url, `t${id}`), applied.has(id), `table t${id} matches`);
      const ups = log.filter((r) => r.action === 'up').length;
      const downs = log.filter((r) => r.action === 'down').length;
      assert.ok(ups >= N && ups - downs === applied.size, `${ups} ups and ${downs} downs`);
    });
  } finally {
    p.cleanup();
  }
});

runners.run();

// ---------------------------------------------------------------- the lock

const lock = suite('engine concurrency: the lock');

lock('up exits 4 when the lock stays held past --lock-timeout, naming the holder, and applies nothing', async () => {
  const p = tempProject(chain(3));
  await withDatabase(async (url) => {
    const holder = session(url, 'sqlrev-test-holder');
    try {
      const [{ pid }] = await holder`select pg_backend_pid() as pid`;
      await holder`select pg_advisory_lock(${LOCK_CLASS}, ${lockKey(SCHEMA)})`;
      assert.equal(await lockHolders(url), [pid], 'the test holds sqlrev\'s lock');

      const r = await runMigrate(up(url, '--lock-timeout', '1'), { cwd: p.cwd }, 30_000);
      assert.is(r.code, 4, r.stderr);
      assert.match(r.stderr, /could not take sqlrev's lock on schema "sqlrev" within 1 s/);
      assert.ok(r.stderr.includes(`pid ${pid} (sqlrev-test-holder`), `names the holder:\n${r.stderr}`);
      assert.equal(await appliedIds(url), []);
      for (const id of ids(3)) assert.not.ok(await tableExists(url, `t${id}`));
      assert.equal(await logRows(url), []);

      const human = await runMigrate(['status', '--db', url, '--no-color'], { cwd: p.cwd }, 30_000);
      assert.is(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`^lock: +held by pid ${pid} \\(sqlrev-test-holder, `, 'm'));
      const json = await runMigrate(['status', '--db', url, '--json'], { cwd: p.cwd }, 30_000);
      assert.is(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout);
      assert.is(doc.lock.held, true);
      assert.is(doc.lock.holder.pid, pid);
      assert.is(doc.lock.holder.application, 'sqlrev-test-holder');

      await holder`select pg_advisory_unlock(${LOCK_CLASS}, ${lockKey(SCHEMA)})`;
      const free = await runMigrate(['status', '--db', url, '--no-color'], { cwd: p.cwd }, 30_000);
      assert.match(free.stdout, /^lock: +free$/m);
      const after = await runMigrate(up(url, '--lock-timeout', '1'), { cwd: p.cwd }, 30_000);
      assert.is(after.code, 0, after.stderr);
      assert.equal(await appliedIds(url), ids(3));
    } finally {
      await holder.end({ timeout: 1 });
      p.cleanup();
    }
  });
});

lock('Ctrl-C while waiting for the lock exits 130 at once and leaves nothing behind', async () => {
  const p = tempProject(chain(2));
  await withDatabase(async (url) => {
    const holder = session(url, 'sqlrev-test-holder');
    let m: Migrator | undefined;
    try {
      await holder`select pg_advisory_lock(${LOCK_CLASS}, ${lockKey(SCHEMA)})`;
      m = startMigrate(up(url), { cwd: p.cwd }); // default --lock-timeout: 300 s
      const migrator = m;
      await until('the migrator waiting for sqlrev\'s lock', async () => (await lockWaiters(url)).length === 1 || undefined, { alive: [migrator] });
      m.signal('SIGINT');
      const r = await m.result(10_000);
      assert.is(r.code, 130, r.stderr);
      assert.equal(await appliedIds(url), []);
      await backendsGone(url);
      assert.equal(await lockWaiters(url), []);
    } finally {
      await m?.stop();
      await holder.end({ timeout: 1 });
      p.cleanup();
    }
  });
});

lock('Ctrl-C while waiting for the lock exits 130 at once even when the holder has the state tables locked too', async () => {
  const p = tempProject(chain(2));
  await withDatabase(async (url) => {
    const first = await runMigrate(up(url), { cwd: p.cwd }, 30_000);
    assert.is(first.code, 0, first.stderr);
    // As a runner upgrading the state schema does: the lock, then the tables.
    const holder = session(url, 'sqlrev-test-holder');
    let m: Migrator | undefined;
    try {
      await holder.unsafe('begin');
      await holder`select pg_advisory_lock(${LOCK_CLASS}, ${lockKey(SCHEMA)})`;
      await holder.unsafe(`lock table ${SCHEMA}.revisions, ${SCHEMA}.meta in access exclusive mode`);
      m = startMigrate(up(url, '--lock-timeout', '60'), { cwd: p.cwd });
      const migrator = m;
      await until('the migrator waiting for sqlrev\'s lock', async () => (await lockWaiters(url)).length === 1 || undefined, { alive: [migrator] });
      assert.match(m.stderr(), 'waiting for the lock', 'the wait is reported while it lasts');
      m.signal('SIGINT');
      const r = await m.result(10_000);
      assert.is(r.code, 130, r.stderr);
      await holder.unsafe('rollback');
      assert.equal(await appliedIds(url), ids(2));
      await backendsGone(url);
    } finally {
      await m?.stop();
      await holder.end({ timeout: 1 });
      p.cleanup();
    }
  });
});

lock.run();

// ---------------------------------------------------------------- signals

const signals = suite('engine concurrency: signals and kill -9');

/** 0001 and 0002 are quick; 0003 creates a table and then runs `slow`. */
function withSlowThird(slow: string, headers = ''): Record<string, string> {
  return {
    ...chain(2),
    ...revision('0003', '0002', `create table t0003 (id int);\n${slow}`, 'drop table t0003;', headers),
  };
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  signals(`${signal} mid-statement cancels it, rolls the revision back, frees the lock and exits ${code}`, async () => {
    const p = tempProject(withSlowThird('select pg_sleep(30);'));
    await withDatabase(async (url) => {
      const m = startMigrate(up(url), { cwd: p.cwd });
      try {
        await runningRevision(url, '0003', m);
        assert.equal(await lockHolders(url), (await migratorBackends(url)).map((b) => b.pid), 'the migrator holds the lock meanwhile');
        m.signal(signal);
        const r = await m.result(10_000); // far below the statement's 30 s: the statement was cancelled
        assert.is(r.code, code, r.stderr);
        assert.is(r.signal, null, 'exited by itself, not killed by the signal');
        assert.match(r.stderr, /interrupted/);

        assert.equal(await appliedIds(url), ['0001', '0002'], 'earlier revisions stay applied, 0003 is not recorded');
        assert.ok(await tableExists(url, 't0002'));
        assert.not.ok(await tableExists(url, 't0003'), '0003\'s table was rolled back');
        assert.equal((await logRows(url)).filter((l) => l.action === 'up').map((l) => l.revision), ['0001', '0002']);
        await backendsGone(url);
        assert.equal(await lockHolders(url), [], 'the lock is free');

        writeFileSync(path.join(p.dir, '0003_rev.up.sql'), '-- parent: 0002\ncreate table t0003 (id int);\nselect 1;\n');
        const again = await runMigrate(up(url, '--lock-timeout', '5'), { cwd: p.cwd });
        assert.is(again.code, 0, again.stderr);
        assert.equal(await appliedIds(url), ids(3));
        assert.ok(await tableExists(url, 't0003'));
      } finally {
        await m.stop();
        p.cleanup();
      }
    });
  });
}

signals('Ctrl-C mid-statement of a "-- transaction: false" revision: exits 130, not recorded, logged as failed, and says what already ran', async () => {
  const p = tempProject(withSlowThird('select pg_sleep(30);', '-- transaction: false'));
  await withDatabase(async (url) => {
    const m = startMigrate(up(url), { cwd: p.cwd });
    try {
      await runningStatement(url, 'pg_sleep(30)', m);
      m.signal('SIGINT');
      const r = await m.result(10_000);
      assert.is(r.code, 130, r.stderr);
      assert.equal(await appliedIds(url), ['0001', '0002']);
      assert.ok(await tableExists(url, 't0003'), 'statement 1 ran in autocommit and stays done');
      const log = await logRows(url);
      assert.equal(log.filter((l) => l.action === 'failed').map((l) => l.revision), ['0003'], 'logged as failed');
      await backendsGone(url);
      assert.equal(await lockHolders(url), []);
      // The contract (§6): the message says which statements already ran and that they should be idempotent.
      assert.match(r.stderr, /already ran/, `tells that statement 1 stays done:\n${r.stderr}`);
    } finally {
      await m.stop();
      p.cleanup();
    }
  });
});

signals('Ctrl-C mid-statement under --single-transaction rolls the whole run back and exits 130', async () => {
  const p = tempProject(withSlowThird('select pg_sleep(30);\ncreate table t0003b (id int);'));
  await withDatabase(async (url) => {
    const m = startMigrate(up(url, '--single-transaction'), { cwd: p.cwd });
    try {
      await runningStatement(url, 'pg_sleep(30)', m);
      m.signal('SIGINT');
      const r = await m.result(10_000);
      assert.is(r.code, 130, r.stderr);
      assert.equal(await appliedIds(url), [], 'nothing recorded: the run was one transaction');
      for (const t of ['t0001', 't0002', 't0003', 't0003b']) assert.not.ok(await tableExists(url, t), `${t} rolled back`);
      await backendsGone(url);
      assert.equal(await lockHolders(url), []);
    } finally {
      await m.stop();
      p.cleanup();
    }
  });
});

signals('a second Ctrl-C exits 130 at once, and the revision still does not half-apply', async () => {
  const p = tempProject(withSlowThird('select pg_sleep(30);'));
  const db = await databaseNoticingDeadClients();
  const m = startMigrate(up(db.url), { cwd: p.cwd });
  try {
    await runningRevision(db.url, '0003', m);
    m.signal('SIGINT');
    await until('the first SIGINT to be acknowledged', () => /SIGINT: cancelling/.test(m.stderr()) || undefined, { alive: [m] });
    m.signal('SIGINT');
    const r = await m.result(10_000);
    assert.is(r.code, 130, r.stderr);
    await backendsGone(db.url);
    assert.equal(await appliedIds(db.url), ['0001', '0002']);
    assert.not.ok(await tableExists(db.url, 't0003'));
    assert.equal(await lockHolders(db.url), []);
  } finally {
    await m.stop();
    await db.drop();
    p.cleanup();
  }
});

signals('kill -9 mid-statement: the server rolls the revision back, frees the lock, and a rerun applies everything', async () => {
  const p = tempProject(withSlowThird('select pg_sleep(30);'));
  const db = await databaseNoticingDeadClients();
  const m = startMigrate(up(db.url), { cwd: p.cwd });
  try {
    const backend = await runningRevision(db.url, '0003', m);
    m.signal('SIGKILL');
    const r = await m.result(10_000);
    assert.is(r.signal, 'SIGKILL');
    await backendGone(db.url, backend);
    await backendsGone(db.url);

    assert.equal(await appliedIds(db.url), ['0001', '0002'], '0003 is not recorded');
    assert.not.ok(await tableExists(db.url, 't0003'), '0003\'s table died with its transaction');
    assert.equal((await logRows(db.url)).filter((l) => l.action === 'up').map((l) => l.revision), ['0001', '0002']);
    assert.equal(await lockHolders(db.url), [], 'the lock died with the session');

    writeFileSync(path.join(p.dir, '0003_rev.up.sql'), '-- parent: 0002\ncreate table t0003 (id int);\nselect 1;\n');
    const again = await runMigrate(up(db.url, '--lock-timeout', '5'), { cwd: p.cwd });
    assert.is(again.code, 0, again.stderr);
    assert.equal(await appliedIds(db.url), ids(3));
    assert.ok(await tableExists(db.url, 't0003'));
  } finally {
    await m.stop();
    await db.drop();
    p.cleanup();
  }
});

signals.run();

// ---------------------------------------------------------------- --wait

const wait = suite('engine concurrency: --wait');

/** A TCP port on 127.0.0.1 that nothing listens on (a listener is opened and closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

wait('--wait 1 against a closed port retries, then exits 5 without printing the password', async () => {
  const p = tempProject(chain(1));
  try {
    const port = await closedPort();
    const password = 'Sw0rdfish-never-printed';
    const r = await runMigrate(['status', '--db', `postgres://postgres:${password}@127.0.0.1:${port}/x`, '--wait', '1', '--no-color'], { cwd: p.cwd }, 30_000);
    assert.is(r.code, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`waiting for postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x to accept connections`), 'it retried');
    assert.match(r.stderr, new RegExp(`cannot connect to postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x`));
    assert.not.ok(r.stderr.includes(password) || r.stdout.includes(password), 'the password is never printed');
  } finally {
    p.cleanup();
  }
});

wait('--wait connects once the server starts accepting connections', async () => {
  const p = tempProject(chain(1));
  const sockets = new Set<Socket>();
  let proxy: Server | undefined;
  let m: Migrator | undefined;
  try {
    await withDatabase(async (url) => {
      const real = new URL(url);
      const port = await closedPort();
      const late = new URL(url);
      late.port = String(port);
      m = startMigrate(['status', '--db', late.href, '--wait', '30', '--no-color'], { cwd: p.cwd });
      const migrator = m;
      await until('the migrator to report that it is waiting', () => /waiting for .* to accept connections/.test(migrator.stderr()) || undefined, { alive: [migrator] });
      // The "server" comes up: a proxy on the awaited port to the real one.
      proxy = createServer((client) => {
        const upstream = tcpConnect(Number(real.port || 5432), real.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve, reject) => { proxy!.once('error', reject); proxy!.listen(port, '127.0.0.1', resolve); });
      const r = await m.result(30_000);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, /^applied: +0$/m);
      assert.match(r.stdout, /^lock: +free$/m);
    });
  } finally {
    await m?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    p.cleanup();
  }
});

wait.run();
