/** migrate test, drift, dump and verify --schema-file through the real executable on a real server. */
import { writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from './support/cli.js';
import { exits } from './support/db-assert.js';
import { tempProject } from './support/folder.js';
import { query, withDatabase } from './support/pg.js';
import { startMigrate, until } from './support/process.js';

const prove = suite('proving migrations');

/** A revision pair with explicit up and down SQL. */
function rev(id: string, parent: string, up: string, down: string): Record<string, string> {
  return { [`${id}_r.up.sql`]: `-- parent: ${parent}\n\n${up}\n`, [`${id}_r.down.sql`]: `${down}\n` };
}

const GOOD = {
  ...rev('0001', 'base', 'create table users (id int primary key, email text);', 'drop table users;'),
  ...rev('0002', '0001', 'create index users_email on users (email);', 'drop index users_email;'),
  ...rev('0003', '0002', "create type mood as enum ('ok', 'sad');", 'drop type mood;'),
  ...rev('0004', '0003', 'create function one() returns int language sql as $$ select 1 $$;', 'drop function one();'),
};

async function scratchDatabases(url: string, name: string): Promise<number> {
  const [{ n }] = await query(url, 'select count(*)::int as n from pg_database where datname = $1', [name]);
  return n;
}

prove('a correct folder passes migrate test and the scratch database is dropped', async () => {
  const p = tempProject(GOOD);
  try {
    await withDatabase(async (url) => {
      const r = await migrate(['test', '--json'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(r, 0);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.revisions.map((x: { id: string; status: string }) => `${x.id} ${x.status}`), ['0001 ok', '0002 ok', '0003 ok', '0004 ok']);
      assert.is(doc.scratch.kept, false);
      assert.is(await scratchDatabases(url, doc.scratch.name), 0);
      const [{ n }] = await query(url, "select count(*)::int as n from pg_tables where schemaname = 'public'");
      assert.is(n, 0, 'the configured database itself is untouched');
    });
  } finally { p.cleanup(); }
});

prove('a down file refused before the round trip is not sent to rehash: nothing is applied', async () => {
  const files = { ...GOOD, ...rev('0005', '0004', 'create index concurrently users_id on users (id);', 'drop index concurrently users_id;') };
  files['0005_r.up.sql'] = `-- parent: 0004\n-- transaction: false\n\ncreate index concurrently users_id on users (id);\n`;
  const p = tempProject(files);
  try {
    await withDatabase(async (url) => {
      const r = await migrate(['test'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(r, 3);
      assert.match(r.stderr, 'migrations/0005_r.down.sql:1:');
      assert.match(r.stderr, 'transaction: false');
      assert.not.match(r.stderr, 'rehash');
    });
  } finally { p.cleanup(); }
});

for (const [what, id, brokenDown] of [
  ['a column', '0005', 'alter table users drop column note;'],
  ['an index', '0002', 'select 1;'],
  ['an enum value', '0003', 'select 1;'],
  ['a function', '0004', 'select 1;'],
] as const) {
  prove(`a down that forgets ${what} fails migrate test naming its revision (exit 3)`, async () => {
    const files: Record<string, string> = { ...GOOD, ...rev('0005', '0004', 'alter table users add column note text, add column extra int;', 'alter table users drop column note, drop column extra;') };
    files[`${id}_r.down.sql`] = `${brokenDown}\n`;
    const p = tempProject(files);
    try {
      await withDatabase(async (url) => {
        const r = await migrate(['test'], { cwd: p.cwd, env: { DATABASE_URL: url } });
        exits(r, 3);
        assert.match(r.stderr, `the down of ${id}`);
        assert.match(r.stderr, `${id}_r.down.sql`);
        assert.match(r.stdout, new RegExp(`^${id} .*FAILED$`, 'm'));
        const j = await migrate(['test', '--json'], { cwd: p.cwd, env: { DATABASE_URL: url } });
        const doc = JSON.parse(j.stdout);
        assert.is(await scratchDatabases(url, doc.scratch.name), 0, 'dropped after a failure too');
      });
    } finally { p.cleanup(); }
  });
}

prove('irreversible revisions are stepped over with a note, and --keep leaves the scratch database', async () => {
  const p = tempProject({ ...GOOD, '0005_r.up.sql': '-- parent: 0004\ndelete from users;\n', '0005_r.down.sql': '-- irreversible: deleted rows are gone\n' });
  try {
    await withDatabase(async (url) => {
      const r = await migrate(['test', '--keep', '--json'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(r, 0);
      const doc = JSON.parse(r.stdout);
      assert.is(doc.revisions[4].status, 'irreversible');
      assert.is(doc.scratch.kept, true);
      assert.is(await scratchDatabases(url, doc.scratch.name), 1);
      await query(url, `drop database "${doc.scratch.name}"`);
    });
  } finally { p.cleanup(); }
});

prove('an up that cannot run again after its down fails the round trip', async () => {
  const p = tempProject(rev('0001', 'base', 'create table t (x int); create table kept (x int);', 'drop table t;'));
  try {
    await withDatabase(async (url) => {
      const r = await migrate(['test'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      assert.ok(r.code === 1 || r.code === 3, `exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, '0001');
    });
  } finally { p.cleanup(); }
});

prove('Ctrl-C during migrate test exits 130 and drops the scratch database', async () => {
  const p = tempProject(rev('0001', 'base', 'create table t (x int);\nselect pg_sleep(30);', 'drop table t;'));
  try {
    await withDatabase(async (url) => {
      const m = startMigrate(['test'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      try {
        const { datname } = await until('the round trip to be running', async () =>
          (await query(url, "select datname from pg_stat_activity where query like '%pg_sleep(30)%' and datname like 'sqlrev_scratch_%'"))[0] as { datname: string } | undefined, { alive: [m] });
        m.signal('SIGINT');
        const r = await m.result(20_000);
        assert.is(r.code, 130, `signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
        assert.is(await scratchDatabases(url, datname), 0);
      } finally {
        await m.stop();
      }
    });
  } finally { p.cleanup(); }
});

prove('drift is silent on a faithful database and shows a manual ALTER TABLE (exit 3)', async () => {
  const p = tempProject(GOOD);
  try {
    await withDatabase(async (url) => {
      exits(await migrate(['up'], { cwd: p.cwd, env: { DATABASE_URL: url } }), 0);
      exits(await migrate(['drift'], { cwd: p.cwd, env: { DATABASE_URL: url } }), 0);
      await query(url, 'alter table users add column hand_made text');
      const r = await migrate(['drift'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(r, 3);
      assert.match(r.stdout, '+  column hand_made text');
    });
  } finally { p.cleanup(); }
});

prove('dump writes the schema the migrations build, and verify --schema-file checks it', async () => {
  const p = tempProject(GOOD);
  try {
    await withDatabase(async (url) => {
      exits(await migrate(['dump', 'schema.txt'], { cwd: p.cwd, env: { DATABASE_URL: url } }), 0);
      exits(await migrate(['verify', '--schema-file', 'schema.txt'], { cwd: p.cwd, env: { DATABASE_URL: url } }), 0);
      for (const [name, text] of Object.entries(rev('0005', '0004', 'create table later (x int);', 'drop table later;'))) writeFileSync(path.join(p.dir, name), text);
      const stale = await migrate(['verify', '--schema-file', 'schema.txt'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(stale, 3);
      assert.match(stale.stderr, 'schema-file-outdated');
      assert.match(stale.stderr, '+table public.later');
      appendFileSync(path.join(p.cwd, 'schema.txt'), '');
    });
  } finally { p.cleanup(); }
});

prove('schema --json lists the objects of the live database without sqlrev\'s state', async () => {
  const p = tempProject(GOOD);
  try {
    await withDatabase(async (url) => {
      exits(await migrate(['up'], { cwd: p.cwd, env: { DATABASE_URL: url } }), 0);
      const r = await migrate(['schema', '--json'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(r, 0);
      const names = JSON.parse(r.stdout).objects.map((o: { kind: string; schema: string; name: string }) => `${o.kind} ${o.schema}.${o.name}`);
      assert.ok(names.includes('table public.users'), names.join('\n'));
      assert.ok(!names.some((n: string) => n.includes('sqlrev.')), 'the state schema is left out');
    });
  } finally { p.cleanup(); }
});

prove('--scratch-db uses the named database and leaves it; --from only applies earlier revisions', async () => {
  const p = tempProject(GOOD);
  try {
    await withDatabase(async (url) => {
      await withDatabase(async (scratchUrl) => {
        const r = await migrate(['test', '--scratch-db', scratchUrl, '--from', '0003', '--json'], { cwd: p.cwd, env: { DATABASE_URL: url } });
        exits(r, 0);
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.revisions.map((x: { id: string; status: string }) => `${x.id} ${x.status}`), ['0001 setup', '0002 setup', '0003 ok', '0004 ok']);
        assert.is(doc.scratch.kept, true);
        const [{ n }] = await query(scratchUrl, "select count(*)::int as n from pg_tables where tablename = 'users'");
        assert.is(n, 1, 'the round trips ran in the named database');
      });
    });
  } finally { p.cleanup(); }
});

prove('--verbose tells the connection, the lock, the state and the plan', async () => {
  const p = tempProject(GOOD);
  try {
    await withDatabase(async (url) => {
      const quiet = await migrate(['up', '0001'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      assert.not.match(quiet.stderr, 'took the advisory lock');
      const r = await migrate(['up', '--verbose'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      exits(r, 0);
      assert.match(r.stderr, /connected to .*PostgreSQL \d+/);
      assert.match(r.stderr, 'took the advisory lock of state schema "sqlrev"');
      assert.match(r.stderr, '1 revision(s) recorded as applied');
      assert.match(r.stderr, 'plan for up head: 0002, 0003, 0004');
    });
  } finally { p.cleanup(); }
});

prove.run();
