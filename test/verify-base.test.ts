/** `migrate verify --base REF` through the real executable, in a throwaway git repository. */
import { execFileSync } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from './support/cli.js';
import { pair, tempProject } from './support/folder.js';

const base = suite('verify --base');

function repo(files: Record<string, string>) {
  const p = tempProject(files);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: p.cwd, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  git('checkout', '-qb', 'feature');
  return { ...p, git };
}

base('new revisions on top of the base pass', async () => {
  const r = repo({ ...pair('0001', 'base'), ...pair('0002', '0001') });
  try {
    for (const [name, text] of Object.entries(pair('0003', '0002'))) writeFileSync(path.join(r.dir, name), text);
    const v = await migrate(['verify', '--base', 'main'], { cwd: r.cwd });
    assert.is(v.code, 0, v.stderr);
    assert.match(v.stderr, 'unchanged since main');
  } finally { r.cleanup(); }
});

base('an edited or deleted base revision fails with file, line and a diff', async () => {
  const r = repo({ ...pair('0001', 'base'), ...pair('0002', '0001'), ...pair('0003', '0002') });
  try {
    appendFileSync(path.join(r.dir, '0002_rev.up.sql'), 'select 2;\n');
    rmSync(path.join(r.dir, '0003_rev.up.sql'));
    rmSync(path.join(r.dir, '0003_rev.down.sql'));
    const v = await migrate(['verify', '--base', 'main'], { cwd: r.cwd });
    assert.is(v.code, 3);
    assert.match(v.stderr, 'migrations/0002_rev.up.sql:4:');
    assert.match(v.stderr, '+select 2;');
    assert.match(v.stderr, 'revision 0003 exists on the base branch, but it was deleted');
    const j = await migrate(['verify', '--base', 'main', '--json'], { cwd: r.cwd });
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.base.changes.map((c: { revision: string; kind: string }) => `${c.kind} ${c.revision}`), ['edited 0002', 'deleted 0003']);
    assert.equal(doc.problems.map((p: { code: string }) => p.code).sort(), ['deleted-since-base', 'edited-since-base']);
  } finally { r.cleanup(); }
});

base('a CRLF checkout of the base files is not an edit', async () => {
  const r = repo({ ...pair('0001', 'base') });
  try {
    const file = path.join(r.dir, '0001_rev.up.sql');
    writeFileSync(file, '-- parent: base\r\n\r\nselect \'0001\' as id;\r\n');
    const v = await migrate(['verify', '--base', 'main'], { cwd: r.cwd });
    assert.is(v.code, 0, v.stderr);
  } finally { r.cleanup(); }
});

base('an unknown ref or a folder outside git is a usage error', async () => {
  const r = repo({ ...pair('0001', 'base') });
  const plain = tempProject({ ...pair('0001', 'base') });
  try {
    const bad = await migrate(['verify', '--base', 'no-such-branch'], { cwd: r.cwd });
    assert.is(bad.code, 2);
    assert.match(bad.stderr, 'no such git revision');
    const outside = await migrate(['verify', '--base', 'main'], { cwd: plain.cwd, env: { GIT_CEILING_DIRECTORIES: path.dirname(plain.cwd) } });
    assert.is(outside.code, 2);
    assert.match(outside.stderr, 'not in one');
  } finally { r.cleanup(); plain.cleanup(); }
});

base.run();
