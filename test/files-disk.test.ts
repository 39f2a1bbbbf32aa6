/**
 * What a real migrations folder on disk may hold besides plain files, through
 * the real executable: symbolic links (inside, out of the folder, to folders,
 * broken), 0-byte files, non-UTF-8 bytes and NUL bytes. Each gets one clear outcome, and
 * a file outside the folder is never read.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithBase } from '../src/base.js';
import { checkDrift } from '../src/checks.js';
import { readFolder } from '../src/folder.js';
import type { Revision } from '../src/types.js';
import { loadProject, projectFromEntries } from '../src/project.js';
import { migrate } from './support/cli.js';
import { tempProject } from './support/folder.js';

const t = suite('files on disk');

interface JsonProblem { file: string; line?: number; revision?: string; code: string; message: string }

async function verify(cwd: string, dir = 'migrations'): Promise<{ code: number | null; problems: JsonProblem[]; output: string }> {
  const r = await migrate(['--dir', dir, 'verify', '--json'], { cwd });
  const report = JSON.parse(r.stdout) as { problems: JsonProblem[] };
  return { code: r.code, problems: report.problems, output: r.stdout + r.stderr };
}

function project(files: Record<string, string | Uint8Array> = {}) {
  const p = tempProject(files);
  return { ...p, put: (rel: string, text: string) => writeFileSync(path.join(p.cwd, rel), text) };
}

t('a link to a file outside the folder is reported and never read', async () => {
  const p = project({ '0001_a.down.sql': 'drop table a;\n' });
  try {
    mkdirSync(path.join(p.cwd, 'elsewhere'));
    p.put('elsewhere/secret.sql', '-- parent: base\nselect \'TOP-SECRET-MARKER\';\n');
    symlinkSync('../elsewhere/secret.sql', path.join(p.dir, '0001_a.up.sql'));
    const r = await verify(p.cwd);
    assert.is(r.code, 3);
    const problem = r.problems.find((x) => x.code === 'outside-folder');
    assert.ok(problem, JSON.stringify(r.problems));
    assert.is(problem!.file, 'migrations/0001_a.up.sql');
    assert.is(problem!.revision, '0001');
    assert.match(problem!.message, path.join('elsewhere', 'secret.sql'));
    assert.not.match(r.output, 'TOP-SECRET-MARKER', 'the linked file is not read');
  } finally { p.cleanup(); }
});

t('a link to a file inside the folder is followed, and --dir may itself be a link', async () => {
  const p = project({
    '0001_a.up.sql': '-- parent: base\ncreate table a ();\n', '0001_a.down.sql': 'drop table a;\n',
    'shared/b-up.txt': '-- parent: 0001\ncreate table b ();\n', '0002_b.down.sql': 'drop table b;\n',
  });
  try {
    symlinkSync('shared/b-up.txt', path.join(p.dir, '0002_b.up.sql'));
    const r = await verify(p.cwd);
    assert.equal(r.problems, []);
    assert.is(r.code, 0);
    const history = await migrate(['history'], { cwd: p.cwd });
    assert.match(history.stdout, /0002/, 'the linked revision is part of the graph');
    symlinkSync('migrations', path.join(p.cwd, 'linked'));
    const viaLink = await verify(p.cwd, 'linked');
    assert.equal(viaLink.problems, [], 'the same outcome through a linked --dir');
  } finally { p.cleanup(); }
});

t('a linked folder is reported instead of silently skipped', async () => {
  const p = project({ '0001_a.up.sql': '-- parent: base\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  try {
    mkdirSync(path.join(p.cwd, 'more'));
    p.put('more/0002_b.up.sql', '-- parent: 0001\nselect 2;\n');
    symlinkSync('../more', path.join(p.dir, 'more'));
    const r = await verify(p.cwd);
    assert.is(r.code, 3);
    assert.equal(r.problems.map((x) => [x.code, x.file]), [['linked-folder', 'migrations/more']]);
  } finally { p.cleanup(); }
});

t('a broken link is unreadable, reported even when its pair is missing too', async () => {
  const p = project();
  try {
    symlinkSync('nowhere.sql', path.join(p.dir, '0001_a.up.sql'));
    const r = await verify(p.cwd);
    assert.is(r.code, 3);
    assert.equal(r.problems.map((x) => x.code).sort(), ['missing-down-file', 'unreadable-file']);
  } finally { p.cleanup(); }
});

t('0-byte files, non-UTF-8 bytes and NUL bytes are each reported at their file (and line)', async () => {
  const p = project({
    '0001_a.up.sql': '', '0001_a.down.sql': '',
    '0002_b.up.sql': Buffer.concat([Buffer.from('-- parent: base\nselect 1;\nselect \''), Buffer.from([0xff, 0xfe]), Buffer.from('\';\n')]),
    '0002_b.down.sql': 'select 1;\n',
    '0003_c.up.sql': '-- parent: base\nselect 1;\n\nselect \'a\0b\';\n', '0003_c.down.sql': 'select 1;\n',
  });
  try {
    const r = await verify(p.cwd);
    assert.is(r.code, 3);
    const got = r.problems.map((x) => `${x.code} ${x.file}:${x.line}`).sort();
    assert.equal(got, ['empty-file migrations/0001_a.down.sql:1', 'empty-file migrations/0001_a.up.sql:1', 'invalid-utf8 migrations/0002_b.up.sql:3', 'nul-byte migrations/0003_c.up.sql:4']);
  } finally { p.cleanup(); }
});

t('history reads only the up files: problems of down files are left to verify', async () => {
  const p = project({
    '0001_a.up.sql': '-- parent: base\n-- message: first\nselect 1;\n',
    '0001_a.down.sql': Buffer.from([0x2d, 0x2d, 0x20, 0xff, 0x0a]),
    '0002_b.up.sql': '-- parnet: 0001\nselect 2;\n', '0002_b.down.sql': '',
    '0003_c.up.sql': '-- parent: 0001\nselect 3;\n',
  });
  try {
    symlinkSync('gone.sql', path.join(p.dir, '0003_c.down.sql'));
    const history = await migrate(['history', '--json'], { cwd: p.cwd });
    assert.is(history.code, 0, history.stderr);
    const listed = (JSON.parse(history.stdout) as { revisions: { id: string; message: string | null; parents: string[]; down: string | null }[] }).revisions;
    assert.equal(listed.find((r) => r.id === '0001'), { ...listed.find((r) => r.id === '0001')!, message: 'first', parents: [], down: 'migrations/0001_a.down.sql' });
    assert.equal(listed.find((r) => r.id === '0003')?.parents, ['0001']);
    assert.match(history.stderr, 'parnet', 'a problem in an up file is still reported');
    assert.not.match(history.stderr, '.down.sql', 'no down file was read');
    const r = await verify(p.cwd);
    const got = r.problems.map((x) => `${x.code} ${x.file}`).filter((x) => x.includes('.down.sql')).sort();
    assert.equal(got, ['empty-file migrations/0002_b.down.sql', 'invalid-utf8 migrations/0001_a.down.sql', 'unreadable-file migrations/0003_c.down.sql']);
  } finally { p.cleanup(); }
});

t('an outline has the graph of a full read, and the checks that compare files refuse it', async () => {
  const p = project({
    '0001_a.up.sql': '-- parent: base\n-- message: first\nselect 1;\n', '0001_a.down.sql': 'select 1;\n',
    '0002_b.up.sql': '-- parent: 0001\nselect 2;\n', '0002_b.down.sql': '-- irreversible: drops data\n',
  });
  try {
    const full = await loadProject(p.dir);
    const outline = await loadProject(p.dir, { outline: true });
    assert.equal(outline.graph.order, full.graph.order);
    assert.equal([...outline.revisions.values()].map((r) => [r.id, r.message, r.parents, r.up.checksum, r.down.path]),
      [...full.revisions.values()].map((r) => [r.id, r.message, r.parents, r.up.checksum, r.down.path]));
    assert.is(outline.revisions.get('0002')!.down.text, '', 'the down file was not read');
    assert.is(full.revisions.get('0002')!.irreversible, 'drops data');
    assert.throws(() => compareWithBase([], outline), /outline/);
    assert.throws(() => checkDrift(outline, { version: 2, rows: new Map(), schemaExists: true }, {}, false), /outline/);
    assert.not.throws(() => compareWithBase([], full));
    // Made from readFolder's entries directly (both are exported), it is an outline all the same.
    const fromEntries = projectFromEntries(p.dir, await readFolder(p.dir, { outline: true }));
    assert.is(fromEntries.outline, true);
    assert.throws(() => compareWithBase([], fromEntries), /outline/);
    assert.is(projectFromEntries(p.dir, await readFolder(p.dir)).outline, undefined);
  } finally { p.cleanup(); }
});

t('without contents, every problem is found as with them, no text or checksum is kept, and the project is refused where files are compared', async () => {
  const p = project({
    '0001_a.up.sql': '-- parent: base\n-- message: first\nselect 1;\n', '0001_a.down.sql': '-- transaction: maybe\nselect 1;\n',
    '0002_b.up.sql': '-- parnet: 0001\nselect 2;\n', '0002_b.down.sql': 'select 2;\n',
    '0003_c.up.sql': '-- parent: 0001\n-- messge: typo\nselect 3;\n', '0003_c.down.sql': 'select 3;\n',
    '0004_d.up.sql': '-- parent: 0003\r\nselect 4;\r\n', '0004_d.down.sql': '',
    '0005_e.up.sql': '-- parent: 0003\nselect 5;\n', '0005_e.down.sql': '-- irreversible: drops data\n',
    '0006_f.up.sql': '-- parent: 0005\nselect 6;\n', '0006_f.down.sql': 'select \0;\n',
    '0007_g.up.sql': '-- parent: 0005\nselect 7;\n', '0007_g.down.sql': Buffer.from([0x73, 0xff, 0x0a]),
    'notes.sql': 'select 6;\n',
  });
  try {
    const full = await loadProject(p.dir);
    const bare = await loadProject(p.dir, { contents: false });
    assert.ok(full.problems.length >= 7, `the folder has problems: ${full.problems.map((x) => x.code).join(', ')}`);
    assert.equal(bare.problems, full.problems);
    assert.equal(bare.graph.order, full.graph.order);
    const shape = (r: Revision) => [r.id, r.message, r.parents, r.irreversible, r.up.path, r.up.transactional, r.up.bodyLine, r.down.transactional];
    assert.equal([...bare.revisions.values()].map(shape), [...full.revisions.values()].map(shape));
    for (const r of bare.revisions.values()) {
      assert.equal([r.up.text, r.up.checksum, r.down.text, r.down.checksum], ['', '', '', ''], r.id);
    }
    assert.ok(full.revisions.get('0005')!.up.checksum.startsWith('sha256:'));
    assert.is(bare.outline, true);
    assert.is(full.outline, undefined);
    assert.throws(() => compareWithBase([], bare), /texts and checksums were not kept/);
    assert.throws(() => checkDrift(bare, { version: 2, rows: new Map(), schemaExists: true }, {}, false), /outline/);
  } finally { p.cleanup(); }
});

t.run();
