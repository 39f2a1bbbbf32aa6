/** The offline commands through the real `migrate` executable. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRelativeTarget, rawTextOptions } from '../src/cli.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { BIN, cleanEnv, migrate } from './support/cli.js';
import { pair, tempProject } from './support/folder.js';

const cli = suite('cli offline');

cli('init writes sqlrev.json and a migrations folder with a README', async () => {
  const p = tempProject();
  try {
    const r = await migrate(['init', '--dir', 'db/migrations'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    assert.equal(JSON.parse(readFileSync(path.join(p.cwd, 'sqlrev.json'), 'utf8')), { $schema: './node_modules/sqlrev/sql/sqlrev.schema.json', dir: 'db/migrations', schema: 'sqlrev' });
    assert.ok(existsSync(path.join(p.cwd, 'db/migrations/README.md')));
    const again = await migrate(['new', 'first'], { cwd: p.cwd });
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, /^db\/migrations\/[0-9a-f]{12}_first\.up\.sql$/m, 'new uses the dir from sqlrev.json');
  } finally { p.cleanup(); }
});

cli('new chains revisions on the single head and prints both paths', async () => {
  const p = tempProject();
  try {
    const a = await migrate(['new', 'create users', '--id', '0001'], { cwd: p.cwd });
    assert.is(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim().split('\n'), ['migrations/0001_create_users.up.sql', 'migrations/0001_create_users.down.sql']);
    const b = await migrate(['new', 'Add e-mail!'], { cwd: p.cwd });
    assert.is(b.code, 0, b.stderr);
    const upPath = b.stdout.trim().split('\n')[0];
    assert.match(upPath, /^migrations\/[0-9a-f]{12}_add_e_mail\.up\.sql$/);
    const up = readFileSync(path.join(p.cwd, upPath), 'utf8');
    assert.match(up, /^-- parent: 0001\n-- message: Add e-mail!\n/);
    const v = await migrate(['verify'], { cwd: p.cwd });
    assert.is(v.code, 0, v.stderr);
  } finally { p.cleanup(); }
});

cli('new --no-transaction marks both files and --parent takes a prefix', async () => {
  const p = tempProject({ ...pair('abc123', 'base') });
  try {
    const r = await migrate(['new', 'index', '--no-transaction', '--parent', 'abc', '--id', 'x1'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    const up = readFileSync(path.join(p.dir, 'x1_index.up.sql'), 'utf8');
    const down = readFileSync(path.join(p.dir, 'x1_index.down.sql'), 'utf8');
    assert.match(up, '-- parent: abc123\n');
    assert.match(up, '-- transaction: false');
    assert.match(down, '-- transaction: false');
  } finally { p.cleanup(); }
});

cli('new refuses when there are several heads and says what to type', async () => {
  const p = tempProject({ ...pair('0001', 'base'), ...pair('0002', '0001'), ...pair('0003', '0001') });
  try {
    const r = await migrate(['new', 'x'], { cwd: p.cwd });
    assert.is(r.code, 2);
    assert.match(r.stderr, '0002, 0003');
    assert.match(r.stderr, '--parent');
    assert.match(r.stderr, 'migrate merge');
    assert.equal(readdirSync(p.dir).length, 6, 'nothing was written');
  } finally { p.cleanup(); }
});

cli('merge joins the heads; with one head it exits 2', async () => {
  const p = tempProject({ ...pair('0001', 'base'), ...pair('0002', '0001'), ...pair('0003', '0001') });
  try {
    const m = await migrate(['merge', '-m', 'join', '--id', '0004'], { cwd: p.cwd });
    assert.is(m.code, 0, m.stderr);
    assert.match(readFileSync(path.join(p.dir, '0004_join.up.sql'), 'utf8'), '-- parent: 0002 0003\n');
    const again = await migrate(['merge'], { cwd: p.cwd });
    assert.is(again.code, 2);
    assert.match(again.stderr, 'only one head (0004)');
  } finally { p.cleanup(); }
});

cli('history --graph draws a branch and its merge', async () => {
  const p = tempProject({ ...pair('0001', 'base'), ...pair('0002', '0001'), ...pair('0003', '0001'), ...pair('0004', '0002 0003') });
  try {
    const r = await migrate(['history', '--graph'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n'), [
      '*  0001  rev',
      '|\\',
      '* |  0002  rev',
      '| *  0003  rev',
      '|/',
      '*  0004  rev (merges 0002, 0003) (head)',
    ]);
  } finally { p.cleanup(); }
});

cli('history --json lists revisions in topological order with parents and children', async () => {
  const p = tempProject({ ...pair('b', 'base'), ...pair('a', 'b') });
  try {
    const r = await migrate(['history', '--json'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.revisions.map((x: { id: string }) => x.id), ['b', 'a']);
    assert.equal(doc.revisions[0].children, ['a']);
    assert.is(doc.revisions[1].head, true);
  } finally { p.cleanup(); }
});

cli('history lists a revision whose files cannot be read with its parents unknown, and --json says the folder has problems', async () => {
  const p = tempProject({ ...pair('0001', 'base'), '0002_bad.up.sql': '-- parnet: 0001\nselect 1;\n', '0002_bad.down.sql': 'select 1;\n', ...pair('0003', '0001') });
  try {
    const text = await migrate(['history'], { cwd: p.cwd });
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stderr, 'migrations/0002_bad.up.sql:1:');
    const line = text.stdout.split('\n').find((l) => l.startsWith('0002 '));
    assert.ok(line, text.stdout);
    assert.match(line!, 'its files have problems');
    assert.match(line!, /← \?$/, 'not "← base": its parent is unknown');
    const json = await migrate(['history', '--json'], { cwd: p.cwd });
    assert.is(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.is(doc.ok, false);
    assert.equal(doc.problems.map((x: { code: string; revision: string }) => [x.code, x.revision]), [['missing-parent-header', '0002']]);
    const broken = doc.revisions.find((x: { id: string }) => x.id === '0002');
    assert.equal([broken.parents, broken.message, broken.up], [null, null, null]);
    assert.equal(doc.revisions.find((x: { id: string }) => x.id === '0003').parents, ['0001']);
  } finally { p.cleanup(); }
});

cli('a revision that cannot be made but whose up file names its parent keeps its place: its parent is no head', async () => {
  const p = tempProject({ ...pair('0001', 'base'), '0002_r.up.sql': '-- parent: 0001\nselect 1;\n', ...pair('0003', '0002') });
  try {
    const r = await migrate(['history', '--json'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.problems.map((x: { code: string }) => x.code), ['missing-down-file']);
    assert.equal(doc.revisions.map((x: { id: string; parents: string[] | null; head: boolean }) => [x.id, x.parents, x.head]),
      [['0001', [], false], ['0002', ['0001'], false], ['0003', ['0002'], true]]);
    const text = await migrate(['history'], { cwd: p.cwd });
    assert.match(text.stdout, /^0002 .*its files have problems.*← 0001$/m);
  } finally { p.cleanup(); }
});

cli('history without a database reports a down file without its up file, and not as unreadable: it lists down files without reading them', async () => {
  const p = tempProject({ ...pair('0001', 'base'), '0002_orphan.down.sql': 'select 1;\n' });
  try {
    const r = await migrate(['history'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, 'missing-up-file');
    assert.not.match(r.stderr, 'unreadable-file');
    const checked = await migrate(['verify', '--json'], { cwd: p.cwd });
    assert.equal(JSON.parse(checked.stdout).problems.map((x: { code: string }) => x.code), ['missing-up-file']);
  } finally { p.cleanup(); }
});

cli('history lists the revisions of a cycle too, marked, after the ordered ones', async () => {
  const p = tempProject({ ...pair('0001', 'base'), ...pair('0005', '0006'), ...pair('0006', '0005') });
  try {
    for (const argv of [['history'], ['history', '--graph'], ['history', '--reverse']]) {
      const r = await migrate(argv, { cwd: p.cwd });
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stderr, 'cycle');
      const listed = r.stdout.trim().split('\n').map((l) => /(\d{4}) /.exec(l)?.[1]);
      assert.equal(listed.slice(-2), ['0005', '0006'], argv.join(' '));
      assert.match(r.stdout, /0005 .*in or after a cycle/, argv.join(' '));
    }
  } finally { p.cleanup(); }
});

cli('verify exits 0 on a sound folder and 3 with file:line on problems', async () => {
  const p = tempProject({ ...pair('0001', 'base'), '0002_x.up.sql': '-- message: x\n-- parnet: 0001\nselect 1;\n', '0002_x.down.sql': 'select 1;\n' });
  try {
    const r = await migrate(['verify'], { cwd: p.cwd });
    assert.is(r.code, 3);
    assert.match(r.stderr, 'migrations/0002_x.up.sql:2:');
    assert.match(r.stderr, 'did you mean "-- parent:"');
    const j = await migrate(['verify', '--json'], { cwd: p.cwd });
    assert.is(j.code, 3);
    const doc = JSON.parse(j.stdout);
    assert.is(doc.ok, false);
    assert.equal(Object.keys(doc.problems[0]).sort(), ['code', 'file', 'hint', 'line', 'message', 'revision']);
    assert.equal([doc.problems[0].file, doc.problems[0].line, doc.problems[0].revision], ['migrations/0002_x.up.sql', 2, '0002']);
    const g = await migrate(['verify', '--format', 'github'], { cwd: p.cwd });
    assert.is(g.code, 3);
    assert.match(g.stdout, /^::error file=migrations\/0002_x\.up\.sql,line=2,title=sqlrev missing-parent-header::/m);
  } finally { p.cleanup(); }
});

cli('verify reports a cycle as a → b → a', async () => {
  const p = tempProject({ ...pair('a', 'b'), ...pair('b', 'a') });
  try {
    const r = await migrate(['verify'], { cwd: p.cwd });
    assert.is(r.code, 3);
    assert.match(r.stderr, /a → b → a|b → a → b/);
  } finally { p.cleanup(); }
});

cli('settings come from flags, then SQLREV_* variables, then sqlrev.json', async () => {
  const p = tempProject({ ...pair('0001', 'base') });
  try {
    const empty = tempProject();
    try {
      const fromEnv = await migrate(['history', '--json'], { cwd: p.cwd, env: { SQLREV_DIR: empty.dir } });
      assert.equal(JSON.parse(fromEnv.stdout).revisions, [], 'SQLREV_DIR is used');
      const fromFlag = await migrate(['history', '--json', '--dir', 'migrations'], { cwd: p.cwd, env: { SQLREV_DIR: empty.dir } });
      assert.is(JSON.parse(fromFlag.stdout).revisions.length, 1, 'the flag beats the environment');
    } finally { empty.cleanup(); }
  } finally { p.cleanup(); }
});

cli('config shows each setting with its source, the sources in one column however long a value is, the password masked', async () => {
  const p = tempProject();
  try {
    const r = await migrate(['config', '--db', 'postgres://app:s3cret@db.internal.example:5432/application_production'], { cwd: p.cwd });
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout, 's3cret');
    const rows = r.stdout.split('\n').filter((l) => /^(dir|schema|db|lockTimeout) /.test(l));
    assert.is(rows.length, 4, r.stdout);
    assert.match(rows.find((l) => l.startsWith('db '))!, /app:\*\*\*@db\.internal\.example.* from a flag$/);
    assert.is(new Set(rows.map((l) => l.indexOf(' from '))).size, 1, r.stdout);
  } finally { p.cleanup(); }
});

cli('a typo in a command name suggests the command', async () => {
  const p = tempProject();
  try {
    const r = await migrate(['histroy'], { cwd: p.cwd });
    assert.is(r.code, 2);
    assert.match(r.stderr, 'did you mean "migrate history"');
  } finally { p.cleanup(); }
});

cli('an unknown option is a usage error (exit 2) that names it as typed and suggests the nearest option', async () => {
  const p = tempProject();
  try {
    const r = await migrate(['verify', '--frobnicate'], { cwd: p.cwd });
    assert.is(r.code, 2);
    assert.match(r.stderr, 'unknown option --frobnicate for migrate verify');
    assert.not.match(r.stderr, 'did you mean');
    const cases: [string[], string, string][] = [
      [['up', '--dry-rn'], '--dry-rn', '--dry-run'],
      [['up', '--lock-timout=5'], '--lock-timout', '--lock-timeout'],
      [['history', '--grph'], '--grph', '--graph'],
      [['new', 'x', '--no-transactoin'], '--no-transactoin', '--no-transaction'],
      [['up', '--dry-r-un'], '--dry-r-un', '--dry-run'],
      [['up', '--DRY-RUN'], '--DRY-RUN', '--dry-run'],
      [['up', '--dry-rn.x=1'], '--dry-rn.x', '--dry-run'],
      [['status', '--db.url=postgres://x'], '--db.url', '--db'],
    ];
    for (const [argv, typed, meant] of cases) {
      const typo = await migrate(argv, { cwd: p.cwd });
      assert.is(typo.code, 2, argv.join(' '));
      assert.match(typo.stderr, `unknown option ${typed} for migrate ${argv[0]}`, argv.join(' '));
      assert.match(typo.stderr, `did you mean ${meant}?`, argv.join(' '));
    }
    const bare = await migrate(['--frob'], { cwd: p.cwd });
    assert.is(bare.code, 2, 'an unknown option without a command is a typo, not a request for help');
    assert.match(bare.stderr, 'unknown option --frob for migrate');
  } finally { p.cleanup(); }
});

cli('-v prints the version with or without a command, and does nothing else', async () => {
  const p = tempProject();
  try {
    for (const argv of [['-v'], ['up', '-v'], ['history', '--version']]) {
      const r = await migrate(argv, { cwd: p.cwd, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' } });
      assert.is(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^migrate\/\d+\.\d+\.\d+/, argv.join(' '));
    }
  } finally { p.cleanup(); }
});

cli('--help works for every command and shows examples', async () => {
  const p = tempProject();
  try {
    for (const command of ['init', 'new', 'merge', 'history', 'verify']) {
      const r = await migrate([command, '--help'], { cwd: p.cwd });
      assert.is(r.code, 0, `${command}: ${r.stderr}`);
      assert.match(r.stdout, 'Examples:', command);
      assert.match(r.stdout, `migrate ${command}`, command);
    }
  } finally { p.cleanup(); }
});

cli('a -N target is taken out of argv before option parsing', () => {
  assert.equal(extractRelativeTarget(['down', '-1']), { argv: ['down'], target: '-1' });
  assert.equal(extractRelativeTarget(['--json', 'down', '--db', 'x', '-2']), { argv: ['--json', 'down', '--db', 'x'], target: '-2' });
  assert.equal(extractRelativeTarget(['up', '+1']), { argv: ['up', '+1'] });
  assert.equal(extractRelativeTarget(['up', '--lock-timeout', '-5']), { argv: ['up', '--lock-timeout', '-5'] });
  assert.equal(extractRelativeTarget(['history', '-1']), { argv: ['history', '-1'] });
});

cli('text options keep leading zeros', () => {
  assert.equal(rawTextOptions(['new', 'x', '--id', '0042', '--parent=0001', '--parent', '0002']), { id: ['0042'], parent: ['0001', '0002'] });
});

cli('a migrations folder that does not exist is an error, except for new, which creates it', async () => {
  const p = tempProject();
  try {
    const r = await migrate(['verify', '--dir', 'migratoins'], { cwd: p.cwd });
    assert.is(r.code, 2);
    assert.match(r.stderr, 'the migrations folder migratoins does not exist');
    const n = await migrate(['new', 'first', '--dir', 'db/new'], { cwd: p.cwd });
    assert.is(n.code, 0, n.stderr);
    assert.match(n.stdout, /^db\/new\/[0-9a-f]{12}_first\.up\.sql$/m);
  } finally { p.cleanup(); }
});

cli('output through a pipe arrives whole, even when it is larger than a pipe buffer, and a reader that stops early ends it quietly', async () => {
  const files: Record<string, string> = {};
  let parent = 'base';
  for (let i = 1; i <= 3000; i++) {
    const id = String(i).padStart(5, '0');
    Object.assign(files, pair(id, parent, 'select 1;', 'a_revision_with_a_long_enough_slug'));
    parent = id;
  }
  const p = tempProject(files);
  try {
    const full = await migrate(['history'], { cwd: p.cwd });
    assert.ok(full.stdout.length > 65536, `only ${full.stdout.length} bytes: make the test's output larger`);
    // A shell pipeline, as a user types it: the reader is another process.
    const counted = execFileSync('sh', ['-c', `"${process.execPath}" "${BIN}" history | wc -l`], { cwd: p.cwd, encoding: 'utf8', env: cleanEnv() });
    assert.is(Number(counted.trim()), 3000);
    // `head -1` closes the pipe after one line: the writes after it fail with EPIPE.
    const cut = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" history | head -1`], { cwd: p.cwd, encoding: 'utf8', env: cleanEnv() });
    assert.is(cut.stdout, '00001  a revision with a long enough slug  ← base\n');
    assert.is(cut.stderr, '', 'no error for a reader that stopped');
    assert.is(cut.status, 0, 'the exit code is the command\'s own');
  } finally { p.cleanup(); }
});

cli.run();
