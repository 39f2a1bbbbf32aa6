/** new, merge and init at the module level (the CLI tests run the same through the executable). */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { initProject, mergeRevision, newRevision, slugify } from '../src/authoring.js';
import { loadProject } from '../src/project.js';
import { pair, tempProject } from './support/folder.js';
import { rejects } from './support/rejects.js';

const authoring = suite('authoring');


authoring('slugs are lowercase words joined by underscores, never empty', () => {
  assert.is(slugify('Add users table!'), 'add_users_table');
  assert.is(slugify('  ?? '), 'revision');
  assert.is(slugify('Añadir ÍNDICE único: café'), 'anadir_indice_unico_cafe', 'accents dropped, not turned into separators');
  assert.is(slugify('Straße Øst Łódź'), 'strasse_ost_lodz');
  assert.ok(slugify('x'.repeat(100)).length <= 40);
});

authoring('new on an empty folder starts at base; the next one follows it', async () => {
  const p = tempProject();
  try {
    const first = await newRevision(await loadProject(p.dir), { message: 'one' });
    assert.equal(first.parents, []);
    assert.match(first.id, /^[0-9a-f]{12}$/);
    const second = await newRevision(await loadProject(p.dir), { message: 'two', transactional: false });
    assert.equal(second.parents, [first.id]);
    const up = readFileSync(second.up, 'utf8');
    assert.match(up, `-- parent: ${first.id}\n-- message: two\n-- transaction: false\n`);
    const reloaded = await loadProject(p.dir);
    assert.equal(reloaded.problems, []);
    assert.is(reloaded.revisions.get(second.id)!.up.transactional, false);
  } finally { p.cleanup(); }
});

authoring('new refuses an id in use and a folder with problems', async () => {
  const p = tempProject({ ...pair('0001', 'base') });
  try {
    assert.is((await rejects(newRevision(await loadProject(p.dir), { message: 'x', id: '0001' }))).code, 'duplicate-id');
    assert.is((await rejects(newRevision(await loadProject(p.dir), { message: 'x', id: 'a-b' }))).code, 'bad-id');
    const broken = tempProject({ '0001_a.up.sql': 'select 1;\n', '0001_a.down.sql': 'select 1;\n' });
    try {
      const err = await rejects(newRevision(await loadProject(broken.dir), { message: 'x' }));
      assert.is(err.code, 'folder-has-problems');
      assert.is(err.problems[0].code, 'missing-parent-header');
    } finally { broken.cleanup(); }
  } finally { p.cleanup(); }
});

authoring('merge of three heads lists them all as parents', async () => {
  const p = tempProject({ ...pair('a', 'base'), ...pair('b', 'a'), ...pair('c', 'a'), ...pair('d', 'a') });
  try {
    const m = await mergeRevision(await loadProject(p.dir), { id: 'm' });
    assert.equal(m.parents, ['b', 'c', 'd']);
    const project = await loadProject(p.dir);
    assert.equal(project.graph.heads, ['m']);
    assert.is((await rejects(mergeRevision(project, {}))).code, 'nothing-to-merge');
  } finally { p.cleanup(); }
});

authoring('init writes the config and folder once and leaves existing files alone', async () => {
  const p = tempProject();
  try {
    const written = await initProject(p.cwd, 'db', 'state');
    assert.equal(written, ['sqlrev.json', path.join('db', 'README.md')]);
    assert.ok(existsSync(path.join(p.cwd, 'db', 'README.md')));
    assert.equal(await initProject(p.cwd, 'db', 'state'), []);
  } finally { p.cleanup(); }
});

authoring.run();
