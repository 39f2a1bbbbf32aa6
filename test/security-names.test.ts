/**
 * Names and texts from users never reach SQL unquoted (issue 6): state schema
 * names, messages, slugs and file names with quotes, backslashes, `$$`, `;`
 * and `--` go through the real executable, bookkeeping and `--sql` output
 * (run by psql), and a table `t` that an injection would drop survives.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from './support/cli.js';
import { exits } from './support/db-assert.js';
import { tempProject } from './support/folder.js';
import { query, withDatabase } from './support/pg.js';
import { scene, type Scene } from './support/scene.js';

const test = suite('security: names');

/** The test's own identifier quoting, independent of src/quote.ts. */
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

const HOSTILE = `x"; drop table t; --`;

const FILES = {
  '0001_a.up.sql': '-- parent: base\ncreate table t_0001 ();\n',
  '0001_a.down.sql': 'drop table t_0001;\n',
  '0002_b.up.sql': '-- parent: 0001\ncreate table t_0002 ();\n',
  '0002_b.down.sql': 'drop table t_0002;\n',
};

/** A table an injection would drop, with a row to prove it was not recreated. */
async function plantT(url: string): Promise<void> {
  await query(url, 'create table t (x int); insert into t values (42)');
}

async function tSurvives(url: string, what: string): Promise<void> {
  const rows = await query(url, `select x from public.t`).catch((e: Error) => assert.unreachable(`${what}: table t is gone (${e.message})`));
  assert.equal(rows, [{ x: 42 }], what);
}

async function recorded(url: string, schema: string): Promise<string[]> {
  const rows = await query(url, `select id from ${ident(schema)}.revisions order by id`);
  return rows.map((r) => r.id);
}

/** Run a psql script (what `--sql` prints) the way a DBA would. */
function psql(url: string, script: string): { code: number | null; out: string } {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], { input: script, encoding: 'utf8' });
  if (r.error) throw new Error(`psql is needed to run --sql output: ${r.error.message}`);
  return { code: r.status, out: r.stdout + r.stderr };
}

/** up, status, verify, (stamp, rehash,) down and --sql through psql, all under `--schema schema`. */
async function everyCommand(s: Scene, schema: string, full = true): Promise<void> {
  const run = (...args: string[]) => s.run(...args, '--schema', schema);
  await plantT(s.url);

  exits(await run('up'), 0, 'up');
  const [ns] = await query(s.url, 'select nspname from pg_namespace where nspname = $1', [schema]);
  assert.ok(ns, `a schema named exactly ${JSON.stringify(schema)} holds the state`);
  assert.equal(await recorded(s.url, schema), ['0001', '0002']);

  const status = await run('status', '--json');
  exits(status, 0, 'status');
  assert.is(JSON.parse(status.stdout).applied, 2);
  exits(await run('verify'), 0, 'verify');

  if (full) {
    exits(await run('stamp', '0001', '--yes'), 0, 'stamp 0001');
    assert.equal(await recorded(s.url, schema), ['0001']);
    exits(await run('stamp', 'head', '--yes'), 0, 'stamp head');
    s.write('0002_b.up.sql', '-- parent: 0001\ncreate table t_0002 (); -- edited\n');
    exits(await run('verify'), 3, 'verify after an edit');
    exits(await run('rehash', '0002', '--yes'), 0, 'rehash');
    exits(await run('verify'), 0, 'verify after rehash');
  }

  exits(await run('down', 'base', '--yes'), 0, 'down base');
  assert.equal(await recorded(s.url, schema), []);

  const plan = await run('up', '--sql');
  exits(plan, 0, 'up --sql');
  const ran = psql(s.url, plan.stdout);
  assert.is(ran.code, 0, `psql ran the --sql output:\n${ran.out}\n--- script\n${plan.stdout}`);
  assert.equal(await recorded(s.url, schema), ['0001', '0002'], 'the script recorded both revisions');
  exits(await run('verify'), 0, 'verify after the psql run: stored texts are verbatim');
  exits(await run('down', 'base', '--sql'), 0, 'down --sql');

  const [log] = await query(s.url, `select count(*)::int as n from ${ident(schema)}.log`);
  assert.is(log.n, full ? 9 : 6, 'the log has a row per action');
  await tSurvives(s.url, `under --schema ${JSON.stringify(schema)}`);
}

test('a schema named x"; drop table t; -- is a name, through every command and --sql', async () => {
  await scene(FILES, (s) => everyCommand(s, HOSTILE));
});

for (const [what, schema] of [
  ['a quote', `it's`],
  ['a backslash', 'back\\slash'],
  ['upper case', 'SqlRev_State'],
  ['unicode', 'état_схема_状態'],
  ['exactly 63 bytes', 'é'.repeat(31) + 'x'],
  ['$1 and $3 (the bookkeeping placeholders)', 'a$1"$3'],
] as const) {
  test(`a schema name with ${what} works end to end`, async () => {
    await scene(FILES, (s) => everyCommand(s, schema, false));
  });
}

test('a schema name named like a placeholder does not splice a message into the SQL', async () => {
  // Regression: `$3` inside the quoted schema name was replaced by the message literal.
  const files = {
    '0001_a.up.sql': `-- parent: base\n-- message: x" default values; drop table t; --\ncreate table t_0001 ();\n`,
    '0001_a.down.sql': 'drop table t_0001;\n',
  };
  await scene(files, async (s) => {
    await plantT(s.url);
    exits(await s.run('up', '--schema', '$3'), 0, 'up');
    const rows = await query(s.url, `select message from "$3".revisions`);
    assert.equal(rows, [{ message: 'x" default values; drop table t; --' }]);
    await tSurvives(s.url, 'after up');
  });
});

test('a schema name over 63 bytes is a usage error, not silently cut short', async () => {
  await scene(FILES, async (s) => {
    for (const name of ['s'.repeat(64), 'é'.repeat(32)]) {
      const r = await s.run('up', '--schema', name);
      exits(r, 2, `--schema of ${Buffer.byteLength(name)} bytes`);
      assert.match(r.stderr, /at most 63/);
    }
    const env = await migrate(['status'], { cwd: s.cwd, env: { DATABASE_URL: s.url, SQLREV_SCHEMA: 'x'.repeat(70) } });
    exits(env, 2, 'SQLREV_SCHEMA of 70 bytes');
    assert.match(env.stderr, /SQLREV_SCHEMA is 70 bytes long/);
    const [{ n }] = await query(s.url, `select count(*)::int as n from pg_namespace where nspname like 'sss%' or nspname like 'xxx%' or nspname like 'é%'`);
    assert.is(n, 0, 'no truncated schema was created');
  });
});

test('a NUL or a line break in the schema name is a usage error', async () => {
  await scene(FILES, async (s) => {
    writeFileSync(path.join(s.cwd, 'sqlrev.json'), JSON.stringify({ schema: 'a\u0000b' }));
    const nul = await s.run('up');
    exits(nul, 2, 'NUL from sqlrev.json');
    assert.match(nul.stderr, /"schema" in sqlrev.json contains a control character \(NUL/);
    // A line break would turn the rest of a `--` comment of --sql output into SQL.
    const broken = await s.run('up', '--sql', '--schema', 'x\ndrop table t;\n--');
    exits(broken, 2, 'line break in --schema');
    assert.not.match(broken.stdout, /drop table t/);
  });
});

test('messages and slugs with quotes, backslashes, $$, ; and -- are stored verbatim and never run', async () => {
  const message = `it's "q" \\ $$ ; -- drop table t; $x$ E'\\x41' /* */`;
  const p = tempProject();
  try {
    await withDatabase(async (url) => {
      await plantT(url);
      const env = { DATABASE_URL: url };
      exits(await migrate(['new', message, '--id', '0001'], { cwd: p.cwd, env }), 0, 'new');
      // A hand-written pair whose slug (file name) is hostile too.
      const slug = `o'neil; drop table t; -- $$ \\`;
      writeFileSync(path.join(p.dir, `0002_${slug}.up.sql`), `-- parent: 0001\n-- message: ${message}\ncreate table t_0002 ();\n`);
      writeFileSync(path.join(p.dir, `0002_${slug}.down.sql`), 'drop table t_0002;\n');
      exits(await migrate(['up'], { cwd: p.cwd, env }), 0, 'up');
      const rows = await query(url, 'select id, message, up_path from sqlrev.revisions order by id');
      assert.equal(rows.map((r) => r.message), [message, message]);
      assert.is(rows[1].up_path, `migrations/0002_${slug}.up.sql`);
      await tSurvives(url, 'after up');

      // The same through --sql and psql, then verify compares the stored texts with the files.
      exits(await migrate(['down', 'base', '--yes'], { cwd: p.cwd, env }), 0, 'down');
      const plan = await migrate(['up', '--sql'], { cwd: p.cwd, env });
      exits(plan, 0, 'up --sql');
      const ran = psql(url, plan.stdout);
      assert.is(ran.code, 0, ran.out);
      assert.equal((await query(url, 'select message from sqlrev.revisions order by id')).map((r) => r.message), [message, message]);
      exits(await migrate(['verify'], { cwd: p.cwd, env }), 0, 'verify after psql');
      await tSurvives(url, 'after the --sql script');
    });
  } finally {
    p.cleanup();
  }
});

test('a line break in a message cannot turn the rest of it into SQL', async () => {
  // Two heads, so that merge gets as far as the message.
  const p = tempProject({ ...FILES, '0002_b.up.sql': '-- parent: base\ncreate table t_0002 ();\n' });
  try {
    await withDatabase(async (url) => {
      await plantT(url);
      const env = { DATABASE_URL: url };
      for (const message of ['first\ndrop table t;', 'first\rdrop table t;']) {
        const r = await migrate(['new', message], { cwd: p.cwd, env });
        exits(r, 2, `new ${JSON.stringify(message)}`);
        assert.match(r.stderr, /one line/);
        const m = await migrate(['merge', '-m', message], { cwd: p.cwd, env });
        exits(m, 2, `merge -m ${JSON.stringify(message)}`);
        assert.match(m.stderr, /one line/);
      }
      exits(await migrate(['up', 'heads'], { cwd: p.cwd, env }), 0, 'up');
      exits(await migrate(['verify'], { cwd: p.cwd, env }), 0, 'verify: no revision was written');
      await tSurvives(url, 'after up');
    });
  } finally {
    p.cleanup();
  }
});

test.run();
