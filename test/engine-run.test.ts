/**
 * up and down on a real PostgreSQL, through the real `migrate` executable:
 * every target form on linear, branched and merged histories, failures and
 * what they leave behind, statements refused before running, autocommit
 * revisions, --single-transaction, session settings.
 * (State-keeping commands, --dry-run/--sql and connections: engine-state.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { BIN, cleanEnv, migrate } from './support/cli.js';
import { tempProject } from './support/folder.js';
import { adminUrl, createDatabase, query } from './support/pg.js';
import { appliedIds, exits, tables } from './support/db-assert.js';
import { rev, scene } from './support/scene.js';

const t = suite('engine run');

// ---------------------------------------------------------------- helpers


/** The recorded revisions and the t_<id> tables both equal `ids`. */
async function expectApplied(url: string, ids: string[], when: string): Promise<void> {
  const sorted = [...ids].sort();
  assert.equal(await appliedIds(url), sorted, `${when}: rows in sqlrev.revisions`);
  assert.equal(await tables(url), sorted.map((id) => `t_${id}`), `${when}: tables`);
}

interface LogRow { action: string; revision: string | null; detail: Record<string, any> | null; db_user: string }
async function log(url: string): Promise<LogRow[]> {
  return (await query(url, 'select action, revision, detail, db_user from sqlrev.log order by seq')) as LogRow[];
}

/** `action revision` of the log rows, in order. */
async function logLines(url: string): Promise<string[]> {
  return (await log(url)).map((r) => `${r.action} ${r.revision}`);
}

// ---------------------------------------------------------------- targets

t('a linear history goes up and down by every target form', async () => {
  const files = { ...rev('aa01', 'base'), ...rev('aa02', 'aa01'), ...rev('bb03', 'aa02'), ...rev('cc04', 'bb03') };
  await scene(files, async ({ url, run }) => {
    exits(await run('up', '+1'), 0, 'up +1');
    await expectApplied(url, ['aa01'], 'up +1');
    exits(await run('up', 'bb'), 0, 'up <unique prefix>');
    await expectApplied(url, ['aa01', 'aa02', 'bb03'], 'up bb');
    exits(await run('down', '-1'), 0, 'down -1');
    await expectApplied(url, ['aa01', 'aa02'], 'down -1');

    const ambiguous = await run('up', 'aa');
    exits(ambiguous, 2, 'up <ambiguous prefix>');
    assert.match(ambiguous.stderr, 'aa01, aa02');
    await expectApplied(url, ['aa01', 'aa02'], 'after an ambiguous prefix');

    exits(await run('up'), 0, 'up (head)');
    await expectApplied(url, ['aa01', 'aa02', 'bb03', 'cc04'], 'up');
    exits(await run('down', 'aa01+1'), 0, 'down id+N');
    await expectApplied(url, ['aa01', 'aa02'], 'down aa01+1');
    exits(await run('up', 'aa02+2'), 0, 'up id+N');
    await expectApplied(url, ['aa01', 'aa02', 'bb03', 'cc04'], 'up aa02+2');
    exits(await run('down', 'cc04-2'), 0, 'down id-N');
    await expectApplied(url, ['aa01', 'aa02'], 'down cc04-2');
    exits(await run('up', 'head'), 0, 'up head');
    exits(await run('down', '-2'), 0, 'down -2');
    await expectApplied(url, ['aa01', 'aa02'], 'down -2');
    exits(await run('down', 'aa01'), 0, 'down <id>');
    await expectApplied(url, ['aa01'], 'down aa01');
    exits(await run('up', 'heads'), 0, 'up heads');
    await expectApplied(url, ['aa01', 'aa02', 'bb03', 'cc04'], 'up heads');
    exits(await run('down', 'base'), 0, 'down base');
    await expectApplied(url, [], 'down base');
    const trail = await logLines(url);
    assert.equal(trail.slice(-4), ['down cc04', 'down bb03', 'down aa02', 'down aa01'], 'down base reverts children first');
    assert.equal(trail.slice(0, 3), ['up aa01', 'up aa02', 'up bb03']);
  });
});

t('+N beyond what is pending, -N beyond base and down without a target exit 2 and change nothing', async () => {
  const files = { ...rev('aa01', 'base'), ...rev('aa02', 'aa01'), ...rev('bb03', 'aa02'), ...rev('cc04', 'bb03') };
  await scene(files, async ({ url, run }) => {
    exits(await run('up', 'aa02'), 0);
    const beyond = await run('up', '+3');
    exits(beyond, 2, 'up +3 with 2 pending');
    assert.match(beyond.stderr, /only 2 revision\(s\) are pending/);
    const json = await run('up', '+3', '--json');
    exits(json, 2);
    assert.equal(JSON.parse(json.stdout).error.candidates, ['bb03', 'cc04'], '--json lists the pending revisions');
    await expectApplied(url, ['aa01', 'aa02'], 'after up +3');

    const past = await run('down', '-3');
    exits(past, 2, 'down -3 with 2 applied');
    assert.match(past.stderr, 'only 2 revision(s) are applied');
    exits(await run('down'), 2, 'down without a target');
    exits(await run('up', 'nope'), 2, 'up of an unknown revision');
    await expectApplied(url, ['aa01', 'aa02'], 'after refused downs');
    // The user should see which revisions are pending, not only how many.
    assert.match(beyond.stderr, /bb03.*cc04/, `up +3 names the pending revisions:\n${beyond.stderr}`);
  });
});

t('a branched history: head and +1 name the branches; heads, ids and id-N move along them', async () => {
  const files = { ...rev('r1', 'base'), ...rev('b1', 'r1'), ...rev('b2', 'b1'), ...rev('c1', 'r1') };
  await scene(files, async ({ url, run }) => {
    const head = await run('up');
    exits(head, 2, 'up with two heads');
    assert.match(head.stderr, 'b2, c1');
    await expectApplied(url, [], 'up with two heads');

    exits(await run('up', '+1'), 0, 'up +1 to the fork');
    await expectApplied(url, ['r1'], 'up +1');
    const next = await run('up', '+1');
    exits(next, 2, 'up +1 at a fork');
    assert.match(next.stderr, 'b1, c1');
    await expectApplied(url, ['r1'], 'up +1 at a fork');

    exits(await run('up', 'b1'), 0, 'up <id> on one branch');
    await expectApplied(url, ['b1', 'r1'], 'up b1');
    exits(await run('up', 'heads'), 0, 'up heads');
    await expectApplied(url, ['b1', 'b2', 'c1', 'r1'], 'up heads');
    assert.equal(await logLines(url), ['up r1', 'up b1', 'up b2', 'up c1'], 'deterministic order: smallest ready id first');

    const back = await run('down', '-1');
    exits(back, 2, 'down -1 with two current heads');
    assert.match(back.stderr, 'b2, c1');
    exits(await run('down', 'b2-1'), 0, 'down id-N');
    await expectApplied(url, ['b1', 'c1', 'r1'], 'down b2-1 leaves the other branch alone');
    exits(await run('down', 'r1'), 0, 'down to the fork');
    await expectApplied(url, ['r1'], 'down r1');
    exits(await run('up', 'c1'), 0, 'up the other branch');
    await expectApplied(url, ['c1', 'r1'], 'up c1');
  });
});

t('a merged history: id+N crosses the merge applying both parents; walks at forks and merges are ambiguous', async () => {
  const files = { ...rev('m1', 'base'), ...rev('x1', 'm1'), ...rev('y1', 'm1'), ...rev('mm', 'x1 y1'), ...rev('zz', 'mm') };
  await scene(files, async ({ url, run }) => {
    exits(await run('up'), 0, 'up');
    await expectApplied(url, ['m1', 'mm', 'x1', 'y1', 'zz'], 'up');
    assert.equal(await logLines(url), ['up m1', 'up x1', 'up y1', 'up mm', 'up zz']);

    exits(await run('down', '-2'), 0, 'down -2 through the merge');
    await expectApplied(url, ['m1', 'x1', 'y1'], 'down -2');
    const two = await run('down', '-1');
    exits(two, 2, 'down -1 with both parents current');
    assert.match(two.stderr, 'x1, y1');
    exits(await run('down', 'm1'), 0, 'down to the fork');
    await expectApplied(url, ['m1'], 'down m1');

    const parents = await run('up', 'mm-1');
    exits(parents, 2, 'up id-1 of a merge');
    assert.match(parents.stderr, 'x1, y1');
    exits(await run('up', 'x1+1'), 0, 'up x1+1 reaches the merge');
    await expectApplied(url, ['m1', 'mm', 'x1', 'y1'], 'up x1+1 applies the other parent too');
    const children = await run('down', 'm1+1');
    exits(children, 2, 'down id+1 at a fork');
    assert.match(children.stderr, 'x1, y1');
    exits(await run('up', '+1'), 0, 'up +1 after the merge');
    await expectApplied(url, ['m1', 'mm', 'x1', 'y1', 'zz'], 'up +1');
    exits(await run('down', 'base'), 0, 'down base');
    await expectApplied(url, [], 'down base');
  });
});

// ---------------------------------------------------------------- failures

t('a log reader that goes away does not stop up: every revision is applied and the exit code is up\'s', async () => {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 40; i++) Object.assign(files, rev(String(i).padStart(4, '0'), i === 1 ? 'base' : String(i - 1).padStart(4, '0')));
  await scene(files, async (s) => {
    // `true` reads nothing and exits at once: every write to stderr after that fails with EPIPE.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" up --verbose 2>&1 >/dev/null | true`], { cwd: s.cwd, encoding: 'utf8', env: cleanEnv({ DATABASE_URL: s.url }) });
    assert.is(r.status, 0, r.stderr);
    await expectApplied(s.url, Object.keys(files).filter((f) => f.endsWith('.up.sql')).map((f) => f.slice(0, 4)), 'after up');
  });
});

t('a failure in the 3rd of 3 revisions keeps the first two, rolls the third back and points at file:line', async () => {
  const third = ['-- parent: 0002', '-- message: third', '', 'create table t_0003 (id int);', 'insert into t_0003 values (1);', 'select id,', '       nope', '  from t_0003;', ''].join('\n');
  const files = { ...rev('0001', 'base'), ...rev('0002', '0001'), '0003_r.up.sql': third, '0003_r.down.sql': 'drop table t_0003;\n' };
  await scene(files, async ({ url, run }) => {
    const r = await run('up');
    exits(r, 1, 'up with a failing third revision');
    await expectApplied(url, ['0001', '0002'], 'after the failure');
    assert.match(r.stderr, 'migrations/0003_r.up.sql:7');
    assert.match(r.stderr, '42703');
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => /^\s*7 \| +nope$/.test(l));
    assert.ok(at >= 0, `the failing line is shown:\n${r.stderr}`);
    assert.is(lines[at + 1].indexOf('^'), lines[at].indexOf('nope'), 'the caret points at the unknown column');
    const rows = await log(url);
    assert.equal(rows.map((x) => `${x.action} ${x.revision}`), ['up 0001', 'up 0002', 'failed 0003']);
    assert.is(rows[2].detail?.line, 7);
    assert.is(rows[2].detail?.sqlstate, '42703');
    assert.match(r.stderr, /^applied 0001 \(\d+ ms\) \[1\/3\]$/m, 'one line per revision with its duration');

    // The same run as --json: one document with each step's status.
    exits(await run('down', 'base'), 0);
    const j = await run('up', '--json');
    exits(j, 1, 'up --json');
    const doc = JSON.parse(j.stdout);
    assert.is(doc.ok, false);
    assert.equal([doc.error.file, doc.error.line, doc.error.revision], ['migrations/0003_r.up.sql', 7, '0003']);
    assert.equal(doc.steps.map((s: { id: string; status: string }) => `${s.id} ${s.status}`), ['0001 done', '0002 done', '0003 failed']);
  });
});

t('down refuses to cross an irreversible revision and changes nothing; down to it works', async () => {
  const files = { ...rev('0001', 'base'), ...rev('0002', '0001', { down: '-- irreversible: the data is gone\nselect 1;' }), ...rev('0003', '0002') };
  await scene(files, async ({ url, run }) => {
    exits(await run('up'), 0);
    for (const target of ['base', '-2', '0001']) {
      const r = await run('down', target);
      exits(r, 2, `down ${target}`);
      assert.match(r.stderr, '0002 is irreversible (the data is gone)');
      await expectApplied(url, ['0001', '0002', '0003'], `down ${target} changed nothing, not even 0003`);
    }
    assert.equal(await logLines(url), ['up 0001', 'up 0002', 'up 0003']);
    exits(await run('down', '0002'), 0, 'down to the irreversible revision');
    await expectApplied(url, ['0001', '0002'], 'down 0002');
  });
});

t('-- transaction: false runs CREATE INDEX CONCURRENTLY; a failure in its 2nd statement is logged with what ran', async () => {
  const files = {
    ...rev('0001', 'base', { up: 'create table t_0001 (a int, b int);' }),
    '0002_idx.up.sql': '-- parent: 0001\n-- transaction: false\ncreate index concurrently i_a on t_0001 (a);\n',
    '0002_idx.down.sql': '-- transaction: false\ndrop index concurrently i_a;\n',
  };
  await scene(files, async ({ url, run, write }) => {
    exits(await run('up'), 0, 'up with CREATE INDEX CONCURRENTLY');
    assert.equal(await appliedIds(url), ['0001', '0002']);
    const [idx] = await query(url, `select indisvalid from pg_index where indexrelid = 'i_a'::regclass`);
    assert.is(idx.indisvalid, true, 'the index is valid');

    write('0003_more.up.sql', '-- parent: 0002\n-- transaction: false\n\ncreate index concurrently i_b on t_0001 (b);\ncreate index concurrently i_bad on t_0001 (nope);\n');
    write('0003_more.down.sql', '-- transaction: false\ndrop index concurrently if exists i_ab;\ndrop index concurrently if exists i_b;\n');
    const r = await run('up');
    exits(r, 1, 'up with a failing 2nd statement');
    assert.match(r.stderr, 'migrations/0003_more.up.sql:5');
    assert.match(r.stderr, 'already ran');
    assert.match(r.stderr, /lines 4\b/);
    assert.equal(await appliedIds(url), ['0001', '0002'], '0003 is not recorded');
    assert.is((await query(url, `select to_regclass('i_b') is not null as made`))[0].made, true, 'the 1st statement stays done');
    const failed = (await log(url)).filter((x) => x.action === 'failed');
    assert.is(failed.length, 1);
    assert.is(failed[0].revision, '0003');
    assert.equal(failed[0].detail?.statements_run, [{ line: 4 }]);
    assert.is(failed[0].detail?.failed_statement_line, 5);

    write('0003_more.up.sql', '-- parent: 0002\n-- transaction: false\n\ncreate index concurrently if not exists i_b on t_0001 (b);\ncreate index concurrently if not exists i_ab on t_0001 (a, b);\n');
    exits(await run('up'), 0, 'rerun after fixing the unapplied revision');
    assert.equal(await appliedIds(url), ['0001', '0002', '0003']);
    exits(await run('down', '0001'), 0, 'down of autocommit revisions');
    assert.equal(await appliedIds(url), ['0001']);
    assert.is((await query(url, `select count(*)::int as n from pg_indexes where tablename = 't_0001'`))[0].n, 0, 'down dropped i_b and i_a');
  });
});

t('BEGIN/COMMIT, CONCURRENTLY, VACUUM and the like, and psql meta-commands in a transactional file are refused before anything runs', async () => {
  const cases: { name: string; up: string; lines: number[]; says: string }[] = [
    { name: 'begin-commit', up: 'create table t_x ();\nbegin;\ncreate table t_y ();\ncommit;', lines: [3, 5], says: 'transaction: false' },
    { name: 'concurrently', up: '\ncreate index concurrently i_c on t_0001 (a);', lines: [3], says: 'transaction: false' },
    { name: 'set', up: 'create table t_x ();\n\\set x 1\nselect :x;', lines: [3], says: 'psql meta-command' },
    { name: 'restrict', up: '\\restrict abc\ncreate table t_x ();', lines: [2], says: '\\restrict' },
    {
      name: 'no-transaction statements',
      up: "vacuum t_0001;\ndrop index concurrently if exists i;\nreindex table concurrently t_0001;\nalter system set work_mem = '8MB';\ncreate database nope;",
      lines: [2, 3, 4, 5, 6], says: 'cannot run inside a transaction block',
    },
  ];
  for (const c of cases) {
    const files = { ...rev('0001', 'base', { up: 'create table t_0001 (a int);' }), '0002_bad.up.sql': `-- parent: 0001\n${c.up}\n`, '0002_bad.down.sql': 'select 1;\n' };
    await scene(files, async ({ url, run }) => {
      const r = await run('up');
      exits(r, 3, c.name);
      for (const line of c.lines) assert.match(r.stderr, `migrations/0002_bad.up.sql:${line}:`, `${c.name}: names line ${line}`);
      assert.match(r.stderr, c.says, c.name);
      assert.equal(await appliedIds(url), [], `${c.name}: not even 0001 is applied`);
      assert.equal(await tables(url), [], `${c.name}: no SQL ran`);
    });
  }
});

t('a refused down file says its edit must be accepted with rehash, and following the hints takes the revision down', async () => {
  const files = {
    ...rev('0001', 'base', { up: 'create table t_0001 (a int);' }),
    '0002_ix.up.sql': '-- parent: 0001\n-- transaction: false\ncreate index concurrently i_a on t_0001 (a);\n',
    '0002_ix.down.sql': 'drop index concurrently i_a;\n',
  };
  await scene(files, async ({ url, run, write }) => {
    exits(await run('up'), 0, 'up');
    const refused = await run('down', '-1');
    exits(refused, 3, 'down -1 of a down file that needs "-- transaction: false"');
    assert.match(refused.stderr, 'migrations/0002_ix.down.sql:1:');
    assert.match(refused.stderr, 'transaction: false');
    assert.match(refused.stderr, 'migrate rehash 0002');
    assert.equal(await appliedIds(url), ['0001', '0002'], 'nothing was reverted');

    write('0002_ix.down.sql', '-- transaction: false\ndrop index concurrently i_a;\n');
    exits(await run('down', '-1'), 3, 'the edited down file of an applied revision, not yet accepted');
    exits(await run('rehash', '0002', '--yes'), 0, 'rehash 0002');
    exits(await run('down', '-1'), 0, 'down -1 after the two hints');
    assert.equal(await appliedIds(url), ['0001']);
    assert.is((await query(url, `select count(*)::int as n from pg_indexes where indexname = 'i_a'`))[0].n, 0, 'the index is dropped');
  });
});

t('a refused up file of a pending revision is not sent to rehash', async () => {
  const files = { ...rev('0001', 'base'), '0002_ix.up.sql': '-- parent: 0001\ncreate index concurrently i_a on t_0001 (a);\n', '0002_ix.down.sql': 'select 1;\n' };
  await scene(files, async ({ run }) => {
    const refused = await run('up');
    exits(refused, 3, 'up');
    assert.match(refused.stderr, 'transaction: false');
    assert.not.match(refused.stderr, 'rehash');
  });
});

// ---------------------------------------------------------------- --single-transaction

t('--single-transaction: a failure in the last revision rolls back all of them', async () => {
  const files = { ...rev('0001', 'base'), ...rev('0002', '0001'), ...rev('0003', '0002', { up: 'create table t_0003 ();\nselect 1/0;' }) };
  await scene(files, async ({ url, run, write }) => {
    const r = await run('up', '--single-transaction');
    exits(r, 1, 'up --single-transaction');
    assert.match(r.stderr, 'migrations/0003_r.up.sql:3');
    await expectApplied(url, [], 'everything rolled back');
    assert.equal(await logLines(url), ['failed 0003'], 'only the failure is logged');

    write('0003_r.up.sql', '-- parent: 0002\ncreate table t_0003 ();\n');
    exits(await run('up', '--single-transaction'), 0, 'after the fix');
    await expectApplied(url, ['0001', '0002', '0003'], 'all applied in one transaction');
  });
});

t('--single-transaction refuses a plan holding a -- transaction: false revision (exit 2), running nothing', async () => {
  const files = { ...rev('0001', 'base'), '0002_nt.up.sql': '-- parent: 0001\n-- transaction: false\ncreate table t_0002 ();\n', '0002_nt.down.sql': 'drop table t_0002;\n' };
  await scene(files, async ({ url, run }) => {
    const r = await run('up', '--single-transaction');
    exits(r, 2, 'up --single-transaction');
    assert.match(r.stderr, '0002');
    assert.match(r.stderr, 'transaction: false');
    await expectApplied(url, [], 'nothing ran');
  });
});

// ---------------------------------------------------------------- session settings

t('SET search_path and SET ROLE in one revision do not leak into the next one or into the bookkeeping', async () => {
  const admin = await adminUrl();
  const role = `sqlrev_t_role_${randomBytes(4).toString('hex')}`;
  await query(admin, `create role ${role} nologin`);
  try {
    const first = ['create schema other_schema;', `grant usage, create on schema other_schema to ${role};`, 'set search_path = other_schema;', `set role ${role};`, 'create table in_other ();'].join('\n');
    const modes: { name: string; args: string[]; header: string }[] = [
      { name: 'one transaction per revision', args: [], header: '' },
      { name: '--single-transaction', args: ['--single-transaction'], header: '' },
      { name: 'first revision outside a transaction', args: [], header: '-- transaction: false\n' },
    ];
    for (const mode of modes) {
      const files = {
        '0001_settings.up.sql': `-- parent: base\n${mode.header}${first}\n`, '0001_settings.down.sql': 'drop schema other_schema cascade;\n',
        ...rev('0002', '0001'),
      };
      const db = await createDatabase();
      const p = tempProject(files);
      try {
        const r = await migrate(['up', ...mode.args], { cwd: p.cwd, env: { DATABASE_URL: db.url } });
        exits(r, 0, mode.name);
        const [{ me }] = await query(db.url, 'select current_user as me');
        const owners = await query(db.url, `select n.nspname, c.relname, pg_get_userbyid(c.relowner) as owner from pg_class c
          join pg_namespace n on n.oid = c.relnamespace where c.relname in ('in_other', 't_0002') order by 2`);
        assert.equal(owners.map((o) => [o.nspname, o.relname, o.owner]), [['other_schema', 'in_other', role], ['public', 't_0002', me]], `${mode.name}: the next revision runs as the connecting user in public`);
        const recorded = await query(db.url, 'select id, applied_by from sqlrev.revisions order by id');
        assert.equal(recorded.map((x) => [x.id, x.applied_by]), [['0001', me], ['0002', me]], `${mode.name}: bookkeeping as the connecting user`);
        // A revision outside a transaction also logs 'started' before its first statement.
        const users = (await log(db.url)).map((x) => x.db_user);
        assert.equal(users, (mode.header ? [me, me, me] : [me, me]), `${mode.name}: log rows as the connecting user`);
      } finally {
        p.cleanup();
        await db.drop();
      }
    }
  } finally {
    await query(admin, `drop role if exists ${role}`);
  }
});

// ---------------------------------------------------------------- what errors and notices say

t('an error shows the server\'s code, message, detail and hint; NOTICEs are shown', async () => {
  const up = [
    "do $$ begin raise notice 'hello from 0001'; end $$;",
    'create table t_0001 ();',
    'do $$',
    'begin',
    "  raise exception 'boom-message' using detail = 'boom-detail', hint = 'boom-hint', errcode = '22023';",
    'end $$;',
  ].join('\n');
  await scene(rev('0001', 'base', { up }), async ({ url, run }) => {
    const r = await run('up');
    exits(r, 1, 'up');
    assert.match(r.stderr, 'hello from 0001');
    assert.match(r.stderr, 'migrations/0001_r.up.sql:4');
    for (const part of ['boom-message', '22023', 'boom-detail', 'boom-hint']) assert.match(r.stderr, part);
    await expectApplied(url, [], 'nothing applied');
  });
});

t('the line and caret are right after astral characters (the server counts characters)', async () => {
  const up = ['-- 😀 a comment with astral characters 😀', 'create table t_0001 (id int);', "select '😀😀😀', 'é', nope from t_0001;"].join('\n');
  await scene(rev('0001', 'base', { up }), async ({ run }) => {
    const r = await run('up');
    exits(r, 1, 'up');
    assert.match(r.stderr, 'migrations/0001_r.up.sql:4');
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => /^\s*4 \| select/.test(l));
    assert.ok(at >= 0, `the failing line is shown:\n${r.stderr}`);
    const shown = lines[at];
    // Columns count characters (code points), as the server does.
    assert.is(lines[at + 1].indexOf('^'), Array.from(shown.slice(0, shown.indexOf('nope'))).length, r.stderr);
  });
});

t('a deferred constraint failing at COMMIT fails the revision (exit 1) and says so', async () => {
  const up = ['create table t_0001 (id int primary key);', 'create table child (pid int references t_0001 deferrable initially deferred);', 'insert into child values (42);'].join('\n');
  await scene({ ...rev('0001', 'base', { up }), ...rev('0002', '0001') }, async ({ url, run }) => {
    const r = await run('up');
    exits(r, 1, 'up');
    assert.match(r.stderr, 'migrations/0001_r.up.sql');
    assert.match(r.stderr, 'at commit');
    assert.match(r.stderr, '23503');
    assert.match(r.stderr, 'Key (pid)=(42)');
    assert.not.match(r.stderr, 'no transaction in progress');
    await expectApplied(url, [], 'nothing applied');
    assert.equal(await logLines(url), ['failed 0001']);
  });
});

t('transaction words inside bodies are not refused: procedures that COMMIT, BEGIN ATOMIC functions', async () => {
  const up = [
    'create procedure p_commit() language plpgsql as $$ begin commit; end $$;',
    'create function f_atomic() returns int language sql',
    'begin atomic',
    '  select 1;',
    'end;',
    "comment on procedure p_commit is 'begin; commit; rollback;';",
    'create table t_0001 ();',
  ].join('\n');
  await scene(rev('0001', 'base', { up, down: 'drop table t_0001;\ndrop function f_atomic;\ndrop procedure p_commit;' }), async ({ url, run }) => {
    exits(await run('up'), 0, 'up');
    await expectApplied(url, ['0001'], 'up');
    assert.is((await query(url, `select count(*)::int as n from pg_proc where proname in ('p_commit', 'f_atomic')`))[0].n, 2);
    exits(await run('down', 'base'), 0, 'down base');
    await expectApplied(url, [], 'down base');
  });
});

t('a failing down keeps the revision applied and logs the failure', async () => {
  const files = { ...rev('0001', 'base'), ...rev('0002', '0001', { down: 'drop table t_0002;\ndrop table no_such_table;' }) };
  await scene(files, async ({ url, run }) => {
    exits(await run('up'), 0);
    const r = await run('down', 'base');
    exits(r, 1, 'down base');
    assert.match(r.stderr, 'migrations/0002_r.down.sql:2');
    await expectApplied(url, ['0001', '0002'], 'the drop of t_0002 was rolled back');
    const rows = await log(url);
    assert.equal(rows.map((x) => `${x.action} ${x.revision}`), ['up 0001', 'up 0002', 'failed 0002']);
    assert.is(rows[2].detail?.direction, 'down');
  });
});

t('--single-transaction: a deferred constraint failing at the final COMMIT rolls back all and is reported as such', async () => {
  const up = ['create table t_0001 (id int primary key);', 'create table child (pid int references t_0001 deferrable initially deferred);', 'insert into child values (42);'].join('\n');
  await scene({ ...rev('0001', 'base', { up }), ...rev('0002', '0001') }, async ({ url, run }) => {
    const r = await run('up', '--single-transaction');
    exits(r, 1, 'up --single-transaction');
    await expectApplied(url, [], 'nothing applied');
    assert.match(r.stderr, 'commit');
    assert.match(r.stderr, '23503');
    assert.match(r.stderr, 'Key (pid)=(42)');
    assert.not.match(r.stderr, 'no transaction in progress', 'no ROLLBACK after the failed COMMIT');
    const failed = (await log(url)).filter((x) => x.action === 'failed');
    assert.is(failed.length, 1);
    assert.is(failed[0].detail?.sqlstate, '23503');
  });
});

t.run();
