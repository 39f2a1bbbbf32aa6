/**
 * What sqlrev records and checks, on a real PostgreSQL through the real
 * `migrate` executable: edited applied files (diff, rehash, CRLF and BOM),
 * stamp, applied revisions whose files are gone, status and show as JSON,
 * --dry-run and --sql, and connection failures that must never print the password.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanEnv, migrate, type CliResult } from './support/cli.js';
import { tempProject } from './support/folder.js';
import { adminUrl, createDatabase, query } from './support/pg.js';
import { appliedIds, exits, tables } from './support/db-assert.js';
import { rev, scene } from './support/scene.js';

const t = suite('engine state');

// ---------------------------------------------------------------- helpers


async function logLines(url: string): Promise<string[]> {
  return (await query(url, 'select action, revision from sqlrev.log order by seq')).map((r) => `${r.action} ${r.revision}`);
}

/** What the contract says a checksum is: sha256 of the text without BOM, with LF line ends. */
function sha(text: string): string {
  return 'sha256:' + createHash('sha256').update(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

async function stateSchemaExists(url: string): Promise<boolean> {
  return (await query(url, `select 1 from pg_namespace where nspname = 'sqlrev'`)).length === 1;
}

/** psql on `script`, stopping at the first error; null when psql is not installed. */
function psql(url: string, script: string): { status: number | null; output: string } | null {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', url], { input: script, encoding: 'utf8', env: cleanEnv() });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The recorded revisions and the t_<id> tables both equal `ids`. */
async function expectApplied(url: string, ids: string[], when: string): Promise<void> {
  const sorted = [...ids].sort();
  assert.equal(await appliedIds(url), sorted, `${when}: rows in sqlrev.revisions`);
  assert.equal(await tables(url), sorted.map((id) => `t_${id}`), `${when}: tables`);
}

// ---------------------------------------------------------------- edits

t('an edited applied file: up, down and stamp exit 3 with a unified diff and change nothing; rehash accepts it', async () => {
  const files = { ...rev('0001', 'base', { up: 'create table t_0001 (a int);' }), ...rev('0002', '0001') };
  await scene(files, async ({ url, run, file }) => {
    exits(await run('up', '0001'), 0);
    const edited = '-- parent: base\ncreate table t_0001 (a int, b int);\n';
    writeFileSync(file('0001_r.up.sql'), edited);

    for (const args of [['up'], ['down', 'base'], ['stamp', 'head']]) {
      const r = await run(...args);
      exits(r, 3, args.join(' '));
      const out = r.stdout + r.stderr;
      assert.match(out, '--- migrations/0001_r.up.sql (as applied)', args.join(' '));
      assert.match(out, '+++ migrations/0001_r.up.sql (now)');
      assert.match(out, /\n@@ [^\n]+ @@\n/);
      assert.match(out, '\n-create table t_0001 (a int);\n');
      assert.match(out, '\n+create table t_0001 (a int, b int);\n');
      assert.match(out, 'migrate rehash 0001');
    }
    assert.equal(await appliedIds(url), ['0001'], 'nothing changed');
    assert.equal(await tables(url), ['t_0001']);
    assert.equal(await logLines(url), ['up 0001']);

    const status = await run('status');
    exits(status, 0, 'status reports and carries on');
    assert.match(status.stdout, 'edited:   migrations/0001_r.up.sql');
    assert.match(status.stdout, '+create table t_0001 (a int, b int);');
    exits(await run('verify'), 3, 'verify');
    const skip = await run('up', '--skip-verify', '--dry-run');
    exits(skip, 0, 'up --skip-verify --dry-run');
    assert.match(skip.stderr, /--skip-verify.*emergencies/);

    const rehash = await run('rehash', '0001');
    exits(rehash, 0, 'rehash');
    assert.match(rehash.stdout, `rehashed 0001 up: ${sha('-- parent: base\ncreate table t_0001 (a int);\n')} → ${sha(edited)}`);
    const [row] = await query(url, `select up_text, up_checksum from sqlrev.revisions where id = '0001'`);
    assert.equal([row.up_text, row.up_checksum], [edited, sha(edited)], 'the new text and checksum are stored');
    const [logged] = await query(url, `select detail from sqlrev.log where action = 'rehash'`);
    assert.equal(logged?.detail, { changed: [{ which: 'up', from: sha('-- parent: base\ncreate table t_0001 (a int);\n'), to: sha(edited) }] });

    exits(await run('up'), 0, 'up after rehash');
    assert.equal(await appliedIds(url), ['0001', '0002']);
    assert.equal(await logLines(url), ['up 0001', 'rehash 0001', 'up 0002']);
    exits(await run('verify'), 0, 'verify after rehash');
  });
});

t('rehash of an unedited revision does nothing; of a pending one it exits 2', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ url, run }) => {
    exits(await run('up', '0001'), 0);
    const same = await run('rehash', '0001');
    exits(same, 0, 'rehash unedited');
    assert.match(same.stderr, 'nothing to do');
    exits(await run('rehash', '0002'), 2, 'rehash pending');
    assert.equal(await logLines(url), ['up 0001']);
  });
});

t('a CRLF-only or BOM-only change is not an edit', async () => {
  const files = { ...rev('0001', 'base'), ...rev('0002', '0001'), ...rev('0003', '0002') };
  await scene(files, async ({ url, run, file }) => {
    exits(await run('up', '0002'), 0);
    const crlf = (name: string) => writeFileSync(file(name), readFileSync(file(name), 'utf8').replace(/\n/g, '\r\n'));
    const bom = (name: string) => writeFileSync(file(name), '\uFEFF' + readFileSync(file(name), 'utf8'));
    crlf('0001_r.up.sql');
    crlf('0001_r.down.sql');
    bom('0002_r.up.sql');
    bom('0003_r.up.sql');
    crlf('0003_r.up.sql');

    exits(await run('verify'), 0, 'verify');
    const status = await run('status', '--json');
    exits(status, 0);
    assert.equal(JSON.parse(status.stdout).edited, []);
    exits(await run('up'), 0, 'up');
    assert.equal(await appliedIds(url), ['0001', '0002', '0003']);
    const [row] = await query(url, `select up_text, up_checksum from sqlrev.revisions where id = '0003'`);
    assert.is(row.up_text, '-- parent: 0002\ncreate table t_0003 ();\n', 'stored normalised');
    assert.is(row.up_checksum, sha(row.up_text));
    exits(await run('down', 'base'), 0, 'down base');
    assert.equal(await tables(url), []);
  });
});

// ---------------------------------------------------------------- stamp

t('stamp head records without running SQL; stamp base forgets without touching tables', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001'), ...rev('0003', '0002') }, async ({ url, run }) => {
    const head = await run('stamp', 'head');
    exits(head, 0, 'stamp head');
    assert.equal(await tables(url), [], 'no SQL ran');
    const rows = await query(url, 'select id, applied_how from sqlrev.revisions order by id');
    assert.equal(rows.map((r) => [r.id, r.applied_how]), [['0001', 'stamp'], ['0002', 'stamp'], ['0003', 'stamp']]);
    assert.equal(await logLines(url), ['stamp 0001', 'stamp 0002', 'stamp 0003']);
    const up = await run('up');
    exits(up, 0, 'up after stamp head');
    assert.match(up.stderr, 'nothing to apply');
    assert.equal(await tables(url), []);

    exits(await run('stamp', 'base'), 0, 'stamp base');
    assert.equal(await appliedIds(url), []);
    exits(await run('up'), 0, 'up for real');
    assert.equal(await tables(url), ['t_0001', 't_0002', 't_0003']);
    exits(await run('stamp', 'base'), 0, 'stamp base');
    assert.equal(await appliedIds(url), [], 'rows gone');
    assert.equal(await tables(url), ['t_0001', 't_0002', 't_0003'], 'tables untouched');
    const forgotten = await query(url, `select revision, detail from sqlrev.log where action = 'stamp' order by seq desc limit 3`);
    assert.equal(forgotten.map((r) => [r.revision, r.detail]), [['0001', { applied: false }], ['0002', { applied: false }], ['0003', { applied: false }]], 'children first');

    exits(await run('stamp', '0002'), 0, 'stamp <id>');
    assert.equal(await appliedIds(url), ['0001', '0002']);
    assert.equal(await tables(url), ['t_0001', 't_0002', 't_0003']);
  });
});

// ---------------------------------------------------------------- files gone

t('down of a revision whose files are gone uses its stored text; status reports it; verify exits 3', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ url, run, file }) => {
    exits(await run('up'), 0);
    rmSync(file('0002_r.up.sql'));
    rmSync(file('0002_r.down.sql'));

    const status = await run('status');
    exits(status, 0, 'status');
    assert.match(status.stdout, 'missing:  files of applied revision 0002');
    const json = await run('status', '--json');
    exits(json, 0, 'status --json');
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.missing, ['0002']);
    assert.equal(doc.current, ['0002']);
    const history = await run('history');
    exits(history, 0, 'history');
    assert.match(history.stdout, /^0002 .*\(its files are gone\) \(head\) \(current\)  ← 0001$/m);
    const listed = JSON.parse((await run('history', '--json')).stdout);
    assert.equal(listed.revisions.map((r: { id: string; parents: string[]; up: string | null }) => [r.id, r.parents, r.up === null]), [['0001', [], false], ['0002', ['0001'], true]]);
    const verify = await run('verify');
    exits(verify, 3, 'verify');
    assert.match(verify.stderr, /0002.*files are gone/);
    const up = await run('up');
    exits(up, 0, 'up applies nothing for it');
    assert.match(up.stderr, /0002.*files are gone/);
    assert.equal(await appliedIds(url), ['0001', '0002']);

    exits(await run('down', '-1'), 0, 'down -1');
    assert.equal(await appliedIds(url), ['0001']);
    assert.equal(await tables(url), ['t_0001'], 'the stored down text dropped t_0002');
    assert.equal(await logLines(url), ['up 0001', 'up 0002', 'down 0002']);
    exits(await run('verify'), 0, 'verify afterwards');
  });
});

t('history marks an edited applied file and reports it, and exits 0', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ run, file }) => {
    exits(await run('up'), 0);
    appendFileSync(file('0001_r.up.sql'), '-- an edit\n');
    const text = await run('history');
    exits(text, 0, 'history');
    assert.match(text.stdout, /^0001 .*\(applied\) \(edited\)/m);
    assert.not.match(text.stdout, /^0002 .*edited/m);
    assert.match(text.stderr, 'edited-file');
    const doc = JSON.parse((await run('history', '--json')).stdout);
    assert.is(doc.ok, false);
    assert.equal(doc.problems.map((p: { code: string; revision: string }) => [p.code, p.revision]), [['edited-file', '0001']]);
  });
});

t('an applied revision whose files are there but broken is reported for what it is, not as gone', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ run, file, write }) => {
    exits(await run('up'), 0);
    write('0002_r.up.sql', readFileSync(file('0002_r.up.sql'), 'utf8').replace('-- parent:', '-- parnet:'));
    const status = JSON.parse((await run('status', '--json')).stdout);
    assert.equal(status.missing, []);
    assert.equal(status.problems.map((p: { code: string }) => p.code), ['missing-parent-header']);
    const verify = await run('verify', '--json');
    exits(verify, 3, 'verify');
    assert.equal(JSON.parse(verify.stdout).problems.map((p: { code: string }) => p.code), ['missing-parent-header']);
    const history = await run('history');
    assert.match(history.stdout, /^0002 .*its files have problems.*\(current\)  ← 0001$/m);
  });
});

t('a stored irreversible down still refuses when its files are gone', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001', { down: '-- irreversible: drops data\nselect 1;' }) }, async ({ url, run, file }) => {
    exits(await run('up'), 0);
    rmSync(file('0002_r.up.sql'));
    rmSync(file('0002_r.down.sql'));
    const r = await run('down', 'base');
    exits(r, 2, 'down base');
    assert.match(r.stderr, 'irreversible');
    assert.equal(await appliedIds(url), ['0001', '0002']);
  });
});

// ---------------------------------------------------------------- status and show

t('status --json and show --json: current, pending, heads, applied info', async () => {
  await scene({ ...rev('r1', 'base'), ...rev('b1', 'r1'), ...rev('c1', 'r1') }, async ({ url, run, file }) => {
    const fresh = JSON.parse((await run('status', '--json')).stdout);
    assert.equal([fresh.connected, fresh.applied, fresh.current, fresh.pending], [true, 0, [], ['r1', 'b1', 'c1']], 'a fresh database');

    exits(await run('up', 'b1'), 0);
    const s = await run('status', '--json');
    exits(s, 0, 'status --json');
    const doc = JSON.parse(s.stdout);
    assert.equal(Object.keys(doc).sort(), ['applied', 'connected', 'current', 'database', 'edited', 'heads', 'lock', 'missing', 'ok', 'pending', 'problems', 'revisions']);
    assert.equal(
      [doc.ok, doc.connected, doc.revisions, doc.heads, doc.current, doc.applied, doc.pending, doc.edited, doc.missing, doc.problems, doc.lock],
      [true, true, 3, ['b1', 'c1'], ['b1'], 2, ['c1'], [], [], [], { held: false }],
    );
    assert.type(doc.database, 'string');

    const [{ me }] = await query(url, 'select current_user as me');
    const sh = await run('show', 'b', '--json');
    exits(sh, 0, 'show <prefix> --json');
    const b1 = JSON.parse(sh.stdout);
    const upSum = sha(readFileSync(file('b1_r.up.sql'), 'utf8'));
    const downSum = sha(readFileSync(file('b1_r.down.sql'), 'utf8'));
    assert.equal(
      [b1.ok, b1.id, b1.message, b1.parents, b1.children, b1.head, b1.files, b1.checksums, b1.transactional, b1.edits],
      [true, 'b1', 'r', ['r1'], [], true, { up: 'migrations/b1_r.up.sql', down: 'migrations/b1_r.down.sql' }, { up: upSum, down: downSum }, { up: true, down: true }, []],
    );
    assert.equal([b1.applied.by, b1.applied.how, b1.applied.checksums], [me, 'up', { up: upSum, down: downSum }]);
    assert.ok(!Number.isNaN(Date.parse(b1.applied.at)), 'applied.at is a timestamp');
    assert.type(b1.applied.durationMs, 'number');

    const c1 = JSON.parse((await run('show', 'c1', '--json')).stdout);
    assert.is(c1.applied, null, 'a pending revision is not applied');
    const r1 = JSON.parse((await run('show', 'r1', '--json')).stdout);
    assert.equal([r1.children, r1.head], [['b1', 'c1'], false]);
  });
});

// ---------------------------------------------------------------- --dry-run and --sql

t('--dry-run and --sql write nothing at all, not even the state schema', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ url, run }) => {
    const dry = await run('up', '--dry-run');
    exits(dry, 0, 'up --dry-run');
    assert.match(dry.stdout, /up 0001.*\nup 0002/);
    const script = await run('up', '--sql');
    exits(script, 0, 'up --sql');
    assert.match(script.stdout, 'create table t_0001 ();');
    assert.match(script.stdout, 'create table t_0002 ();');
    assert.match(script.stdout, /insert into "sqlrev"\."revisions"/);
    assert.is(await stateSchemaExists(url), false, 'no state schema');
    assert.equal(await tables(url), []);
  });
});

/** State rows that do not depend on when or how fast the run was. */
async function stateRows(url: string): Promise<unknown> {
  const revisions = await query(url, `select id, parents, message, up_checksum, down_checksum, up_text, down_text, up_path, down_path,
    applied_how, applied_by, duration is not null as timed from sqlrev.revisions order by id`);
  const entries = await query(url, `select action, revision, db_user, client_host, tool_version, detail, duration is not null as timed from sqlrev.log order by seq`);
  const indexes = await query(url, `select c.relname, i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid
    join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' order by 1`);
  return { revisions, entries, indexes, tables: await tables(url) };
}

/** `up --sql` on database A run by psql must leave what `up` leaves on database B. */
async function sqlMatchesUp(files: Record<string, string>, before: string[]): Promise<void> {
  const p = tempProject(files);
  const [a, b] = [await createDatabase(), await createDatabase()];
  try {
    const on = (db: { url: string }, ...args: string[]) => migrate(args, { cwd: p.cwd, env: { DATABASE_URL: db.url } });
    for (const db of [a, b]) if (before.length) exits(await on(db, ...before), 0, before.join(' '));
    const script = await on(a, 'up', '--sql');
    exits(script, 0, 'up --sql');
    exits(await on(b, 'up'), 0, 'up');
    const ran = psql(a.url, script.stdout);
    if (ran === null) {
      console.log('  note: psql is not on PATH; the --sql script was not applied');
      return;
    }
    assert.is(ran.status, 0, `psql applies the --sql script:\n${ran.output}\n--- script\n${script.stdout}`);
    assert.equal(await stateRows(a.url), await stateRows(b.url));
  } finally {
    p.cleanup();
    await a.drop();
    await b.drop();
  }
}

t('--sql applied by psql records the same state rows as up, autocommit revisions included (state schema already installed)', async () => {
  const files = {
    ...rev('0001', 'base'), ...rev('0002', '0001', { up: `create table t_0002 (s text default 'it''s $x$');\ncomment on table t_0002 is E'tab\\there';` }),
    '0003_idx.up.sql': '-- parent: 0002\n-- transaction: false\ncreate index concurrently i_s on t_0002 (s);\n',
    '0003_idx.down.sql': '-- transaction: false\ndrop index concurrently i_s;\n',
    ...rev('0004', '0003'),
  };
  await sqlMatchesUp(files, ['up', '+1']);
});

t('--sql on a fresh database prints a script psql can run as is, recording what up records', async () => {
  await sqlMatchesUp({ ...rev('0001', 'base'), ...rev('0002', '0001') }, []);
});

t('down --sql and down --dry-run write nothing', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ url, run }) => {
    exits(await run('up'), 0);
    const before = await logLines(url);
    const script = await run('down', 'base', '--sql');
    exits(script, 0, 'down base --sql');
    assert.match(script.stdout, /drop table t_0002;[\s\S]*drop table t_0001;/);
    exits(await run('down', '-1', '--dry-run'), 0, 'down -1 --dry-run');
    await expectApplied(url, ['0001', '0002'], 'nothing reverted');
    assert.equal(await logLines(url), before, 'nothing logged');
  });
});

// ---------------------------------------------------------------- connections

/** The secret must appear nowhere, raw or URL-encoded. */
function assertNoSecret(r: CliResult, secret: string, what: string): void {
  for (const s of new Set([secret, encodeURIComponent(secret)])) {
    assert.not.ok(r.stdout.includes(s), `${what}: password in stdout:\n${r.stdout}`);
    assert.not.ok(r.stderr.includes(s), `${what}: password in stderr:\n${r.stderr}`);
  }
}

/** `up` with DATABASE_URL and `status --json` with --db: both exit 5 without printing the password. */
async function refusesWithoutSecret(url: string, secret: string, what: string, says: RegExp): Promise<void> {
  const p = tempProject(rev('0001', 'base'));
  try {
    const up = await migrate(['up'], { cwd: p.cwd, env: { DATABASE_URL: url } });
    exits(up, 5, `${what}: up`);
    assert.match(up.stderr, says, what);
    assertNoSecret(up, secret, `${what}: up`);
    const status = await migrate(['status', '--json', '--db', url], { cwd: p.cwd });
    exits(status, 5, `${what}: status --json`);
    assert.is(JSON.parse(status.stdout).ok, false);
    assertNoSecret(status, secret, `${what}: status --json`);
  } finally {
    p.cleanup();
  }
}

function withCredentials(base: string, user: string | undefined, password: string, database?: string): string {
  const u = new URL(base);
  if (user !== undefined) u.username = user;
  u.password = password;
  if (database !== undefined) u.pathname = `/${database}`;
  return u.href;
}

const secret = () => `SqlrevPw${randomBytes(6).toString('hex')}`;

t('a bad host exits 5 without printing the password', async () => {
  const pw = secret();
  await refusesWithoutSecret(`postgres://postgres:${pw}@no-such-host.invalid:5432/postgres`, pw, 'unknown host', /cannot connect/);
  await refusesWithoutSecret(`postgres://postgres:${pw}@127.0.0.1:1/postgres`, pw, 'closed port', /ECONNREFUSED/);
});

t('a missing database exits 5 without printing the password', async () => {
  const admin = new URL(await adminUrl());
  // Under trust authentication any password is accepted, so the distinctive one reaches the server.
  const pw = admin.password ? decodeURIComponent(admin.password) : secret();
  await refusesWithoutSecret(withCredentials(admin.href, undefined, pw, `sqlrev_no_such_db_${randomBytes(4).toString('hex')}`), pw, 'missing database', /does not exist/);
});

t('a wrong password (or, under trust authentication, an unknown user) exits 5 without printing it', async () => {
  const admin = await adminUrl();
  const role = `sqlrev_t_pw_${randomBytes(4).toString('hex')}`;
  const right = secret();
  const wrong = secret();
  await query(admin, `create role ${role} login password '${right}'`);
  const db = await createDatabase();
  try {
    const url = withCredentials(db.url, role, wrong);
    let trusted = true;
    try {
      await query(url, 'select 1');
    } catch {
      trusted = false;
    }
    if (trusted) {
      console.log(`  note: ${new URL(admin).host} trusts local connections, so a wrong password is accepted; checking that it is not printed, and an unknown user instead`);
      const p = tempProject(rev('0001', 'base'));
      try {
        const status = await migrate(['status'], { cwd: p.cwd, env: { DATABASE_URL: url } });
        exits(status, 0, 'status with an ignored wrong password');
        assert.match(status.stdout, `${role}:***@`);
        assertNoSecret(status, wrong, 'status');
      } finally {
        p.cleanup();
      }
      await refusesWithoutSecret(withCredentials(db.url, `sqlrev_no_such_user_${randomBytes(4).toString('hex')}`, wrong), wrong, 'unknown user', /does not exist/);
    } else {
      await refusesWithoutSecret(url, wrong, 'wrong password', /password authentication failed|28P01/);
    }
  } finally {
    await db.drop();
    await query(admin, `drop role if exists ${role}`);
  }
});

t('a user without the privileges sqlrev needs gets a clear error, not an internal error', async () => {
  const admin = await adminUrl();
  const role = `sqlrev_t_nopriv_${randomBytes(4).toString('hex')}`;
  const pw = secret();
  await query(admin, `create role ${role} login password '${pw}'`);
  const [fresh, installed] = [await createDatabase(), await createDatabase()];
  const p = tempProject(rev('0001', 'base'));
  try {
    // On `installed` the state schema exists (made by the superuser) and the role may not read it.
    exits(await migrate(['up'], { cwd: p.cwd, env: { DATABASE_URL: installed.url } }), 0, 'up as the superuser');
    const cases: [string, string, string[]][] = [
      ['up on a database where it may not create the state schema', fresh.url, ['up']],
      ['status with a state schema it may not read', installed.url, ['status']],
      ['up with a state schema it may not read', installed.url, ['up']],
    ];
    for (const [what, dbUrl, args] of cases) {
      const r = await migrate(args, { cwd: p.cwd, env: { DATABASE_URL: withCredentials(dbUrl, role, pw) } });
      assert.ok(r.code !== 0 && r.code !== 70, `${what}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, 'permission denied', what);
      assert.not.match(r.stderr, 'internal error', what);
      assertNoSecret(r, pw, what);
    }
    assert.equal(await appliedIds(fresh.url), [], 'nothing recorded');
  } finally {
    p.cleanup();
    await fresh.drop();
    await installed.drop();
    await query(admin, `drop role if exists ${role}`);
  }
});

t.run();
