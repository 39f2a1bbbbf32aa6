/**
 * Least privilege (issue 6): sqlrev runs as a login role that owns only the
 * application's schema and its state schema, with CONNECT on the database and
 * nothing else, using the exact SQL of docs/least-privilege.md; and it says
 * clearly what to grant when a privilege is missing.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from './support/cli.js';
import { exits } from './support/db-assert.js';
import { tempProject } from './support/folder.js';
import { adminUrl, query, withDatabase } from './support/pg.js';

const test = suite('security: least privilege');

const DOC = fileURLToPath(new URL('../../docs/least-privilege.md', import.meta.url));
const STATE_DIR = fileURLToPath(new URL('../../sql/state/', import.meta.url));

/** The `sql` blocks of the page, in order: [0] the setup, [1] the grants on a shared state schema. */
function docBlocks(): string[] {
  return [...readFileSync(DOC, 'utf8').matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const FILES = {
  '0001_users.up.sql': '-- parent: base\nset search_path = app;\ncreate table users (id int primary key);\n',
  '0001_users.down.sql': 'drop table app.users;\n',
  '0002_posts.up.sql': '-- parent: 0001\ncreate table app.posts (id int primary key);\n',
  '0002_posts.down.sql': 'drop table app.posts;\n',
};

interface Setup {
  /** The database as the unprivileged role. */
  url: string;
  /** The database as the superuser. */
  admin: string;
  role: string;
  cwd: string;
  run(...args: string[]): ReturnType<typeof migrate>;
}

/** A fresh database and a fresh role (roles are cluster-wide: a unique name, dropped afterwards). */
async function withRole(fn: (s: Setup) => Promise<void>): Promise<void> {
  const role = `sqlrev_app_${process.pid}_${randomBytes(3).toString('hex')}`;
  const p = tempProject(FILES);
  try {
    await withDatabase(async (admin) => {
      const u = new URL(admin);
      u.username = role;
      u.password = '';
      const url = u.href;
      await fn({ url, admin, role, cwd: p.cwd, run: (...args) => migrate(args, { cwd: p.cwd, env: { DATABASE_URL: url } }) });
    });
  } finally {
    p.cleanup();
    await query(await adminUrl(), `drop role if exists ${role}`);
  }
}

/** The page's SQL for this test's role and database. */
function forTest(sql: string, s: Setup): string {
  const database = new URL(s.admin).pathname.slice(1);
  return sql.replaceAll('app_owner', s.role).replaceAll('appdb', `"${database}"`);
}

async function applied(s: Setup, schema = 'sqlrev'): Promise<string[]> {
  return (await query(s.admin, `select id from ${schema}.revisions order by id`)).map((r) => r.id);
}

test('the role of docs/least-privilege.md can up, status, down, stamp, rehash and verify', async () => {
  await withRole(async (s) => {
    await query(s.admin, forTest(docBlocks()[0], s));
    const [rights] = await query(s.admin, `select rolsuper, rolcreatedb, has_database_privilege($1, current_database(), 'CREATE') as create_db,
      has_schema_privilege($1, 'public', 'CREATE') as create_public from pg_roles where rolname = $1`, [s.role]);
    assert.equal(rights, { rolsuper: false, rolcreatedb: false, create_db: false, create_public: false }, 'the role is unprivileged');

    exits(await s.run('up'), 0, 'up');
    assert.equal(await applied(s), ['0001', '0002']);
    const [owner] = await query(s.admin, `select tableowner from pg_tables where schemaname = 'app' and tablename = 'users'`);
    assert.is(owner.tableowner, s.role);
    exits(await s.run('status'), 0, 'status');
    exits(await s.run('down', '0001'), 0, 'down 0001');
    assert.equal(await applied(s), ['0001']);
    exits(await s.run('stamp', 'head', '--yes'), 0, 'stamp head');
    assert.equal(await applied(s), ['0001', '0002']);
    exits(await s.run('stamp', '0001', '--yes'), 0, 'stamp 0001');
    exits(await s.run('up'), 0, 'up again');
    writeFileSync(path.join(s.cwd, 'migrations', '0002_posts.up.sql'), `${FILES['0002_posts.up.sql']}-- reviewed\n`);
    exits(await s.run('verify'), 3, 'verify after an edit');
    exits(await s.run('rehash', '0002', '--yes'), 0, 'rehash');
    exits(await s.run('verify'), 0, 'verify');
    const log = await query(s.admin, 'select distinct db_user from sqlrev.log');
    assert.equal(log, [{ db_user: s.role }]);
  });
});

test('the --sql script of the unprivileged role runs as that role (no CREATE SCHEMA for a schema that exists)', async () => {
  await withRole(async (s) => {
    await query(s.admin, forTest(docBlocks()[0], s));
    const script = await s.run('up', '--sql');
    exits(script, 0, 'up --sql');
    assert.not.match(script.stdout, /create schema/i);
    const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', s.url], { input: script.stdout, encoding: 'utf8' });
    assert.is(psql.status, 0, psql.stderr);
    assert.equal(await applied(s), ['0001', '0002']);
    exits(await s.run('verify'), 0, 'verify after the script');
  });
});

test('without a state schema and without CREATE on the database: exit 2, nothing changed, the grant to run', async () => {
  await withRole(async (s) => {
    await query(s.admin, forTest(docBlocks()[0], s).replace(/^create schema sqlrev .*$/m, ''));
    for (const command of [['up'], ['stamp', 'head', '--yes']]) {
      const r = await s.run(...command);
      exits(r, 2, command[0]);
      assert.match(r.stderr, /state schema "sqlrev" cannot be used: permission denied for database/);
      assert.ok(r.stderr.includes(`create schema "sqlrev" authorization "${s.role}";`), r.stderr);
    }
    const [{ n }] = await query(s.admin, `select count(*)::int as n from pg_tables where schemaname = 'app'`);
    assert.is(n, 0, 'no migration ran');
    // status only reads: a missing state schema reads as nothing applied.
    exits(await s.run('status'), 0, 'status');
    // The hint's own SQL is the fix.
    await query(s.admin, `create schema sqlrev authorization ${s.role}`);
    exits(await s.run('up'), 0, 'up after the grant');
  });
});

test('a state schema owned by another role: exit 2 with what to grant or upgrade; the documented steps suffice', async () => {
  await withRole(async (s) => {
    await query(s.admin, forTest(docBlocks()[0], s).replace(/^create schema sqlrev .*$/m, ''));
    // The DBA installs the state schema by hand, as the page says, but only its first version.
    const psql = (file: string) => spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'schema=sqlrev', '-d', s.admin, '-f', path.join(STATE_DIR, file)], { encoding: 'utf8' });
    const [first, ...later] = readdirSync(STATE_DIR).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    const installed = psql(first);
    assert.is(installed.status, 0, installed.stderr);
    const denied = await s.run('up');
    exits(denied, 2, 'up without grants');
    assert.match(denied.stderr, /permission denied for schema sqlrev[\s\S]*needs USAGE on schema "sqlrev"/);

    await query(s.admin, forTest(docBlocks()[1], s));
    if (later.length) {
      // Granted, but the schema is older than this sqlrev: only its owner can upgrade it.
      const old = await s.run('up');
      exits(old, 2, 'up on an older state schema it does not own');
      assert.match(old.stderr, /is at version 1 and this sqlrev needs version \d+, but upgrading it was refused/);
      for (const f of later) assert.ok(old.stderr.includes(`sql/state/${f}`), `the hint names ${f}: ${old.stderr}`);
      for (const f of later) assert.is(psql(f).status, 0, `the DBA runs ${f}`);
    }
    exits(await s.run('up'), 0, 'up');
    exits(await s.run('down', 'base', '--yes'), 0, 'down');
    exits(await s.run('stamp', 'head', '--yes'), 0, 'stamp');
    exits(await s.run('verify'), 0, 'verify');
    assert.equal(await applied(s), ['0001', '0002']);
  });
});

test('migrate test needs CREATEDB and says so (exit 2)', async () => {
  await withRole(async (s) => {
    await query(s.admin, forTest(docBlocks()[0], s));
    const r = await s.run('test');
    exits(r, 2, 'test');
    assert.match(r.stderr, /cannot create a scratch database[\s\S]*CREATEDB/);
  });
});

test.run();
