/**
 * Reading the state at start-up: given the folder, readState takes the texts
 * of unedited revisions from the files and reads stored texts only for
 * revisions edited or gone; and `up`/`down`, which hand the folder's
 * revisions to the session, still report a broken folder first, whatever the
 * server does, and touch nothing for it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureState, readState, insertRevision, send, type RevisionRecord } from '../src/state.js';
import { arrayLiteral } from '../src/quote.js';
import { readRevisions } from '../src/files.js';
import type { Revision } from '../src/types.js';
import { migrate } from './support/cli.js';
import { entries, tempProject } from './support/folder.js';
import { exits } from './support/db-assert.js';
import { query, withDatabase, withSql } from './support/pg.js';
import { rev, scene } from './support/scene.js';

const t = suite('state read');

const files = (f: Record<string, string>): Map<string, Revision> => new Map(readRevisions(entries(f)).revisions.map((r) => [r.id, r]));

const recordOf = (r: Revision, texts?: { up: string; down: string }): RevisionRecord => ({
  id: r.id, parents: [...r.parents], message: r.message, upChecksum: r.up.checksum, downChecksum: r.down.checksum,
  upText: texts?.up ?? r.up.text, downText: texts?.down ?? r.down.text, upPath: r.up.path, downPath: r.down.path,
});

t('with the folder given, rows read the same as without it; stored texts only where files are edited or gone', async () => {
  const folder = files({
    ...rev('0001', 'base'), ...rev('0002', '0001'), ...rev('0003', '0001'),
    '0004_m.up.sql': "-- parent: 0002 0003\n-- message: merge 'both', \"quoted\" \\ back\nselect 4;\n",
    '0004_m.down.sql': 'select 4;\n',
  });
  await withDatabase(async (url) => withSql(url, async (sql) => {
    await ensureState(sql, 'sqlrev', 0);
    for (const id of ['0001', '0002', '0003', '0004']) await send(sql, insertRevision('sqlrev', recordOf(folder.get(id)!), id === '0003' ? 'stamp' : 'up', 12.5));
    // 0005 is applied but its files are gone; 0002 was edited after it was applied.
    await send(sql, insertRevision('sqlrev', { ...recordOf(folder.get('0001')!), id: '0005', parents: ['0004'], upText: 'create table gone ();', downText: 'drop table gone;', upPath: null, downPath: null }, 'up'));
    const edited = new Map(folder);
    const e = folder.get('0002')!;
    edited.set('0002', { ...e, up: { ...e.up, text: 'create table t_0002 (edited int);\n', checksum: 'sha256:edited' } });

    const full = await readState(sql, 'sqlrev');
    const lean = await readState(sql, 'sqlrev', edited);
    assert.equal([...lean.rows.keys()], [...full.rows.keys()], 'same rows, same order');
    assert.equal([...lean.rows.values()], [...full.rows.values()], 'every field the same, texts included');
    assert.equal(lean.rows.get('0004')!.parents, ['0002', '0003']);
    assert.equal(lean.rows.get('0001')!.parents, []);
    assert.is(lean.rows.get('0004')!.message, "merge 'both', \"quoted\" \\ back");
    assert.is(lean.rows.get('0003')!.durationMs, null, 'a stamp has no duration');
    assert.is(lean.rows.get('0002')!.durationMs, 12.5);
    assert.ok(lean.rows.get('0001')!.appliedAt instanceof Date);
    assert.is(lean.rows.get('0002')!.upText, '-- parent: 0001\ncreate table t_0002 ();\n', 'the stored text of an edited file, not the edit');
    assert.is(lean.rows.get('0005')!.downText, 'drop table gone;', 'the stored text of a revision whose files are gone');
    assert.is(lean.rows.get('0005')!.upPath, null);
  }));
});

t('a folder with problems is reported (exit 3) even when the server refuses connections, with or without --wait', async () => {
  const p = tempProject({ ...rev('0001', 'base'), '0002_r.up.sql': '-- parnet: 0001\nselect 2;\n', '0002_r.down.sql': 'select 2;\n' });
  try {
    for (const args of [['up'], ['up', '--wait', '30'], ['down', 'base', '--verbose'], ['up', '--dry-run']]) {
      const r = await migrate(args, { cwd: p.cwd, env: { DATABASE_URL: 'postgres://postgres:secret-pw@127.0.0.1:1/nowhere' } });
      exits(r, 3, args.join(' '));
      assert.match(r.stderr, 'parnet', args.join(' '));
      assert.not.match(r.stderr, /waiting for|cannot connect|connected to/, `${args.join(' ')}: nothing about the connection`);
      assert.not.match(r.stderr + r.stdout, 'secret-pw');
    }
  } finally {
    p.cleanup();
  }
});

t('a folder with problems changes nothing on a reachable server: no state schema, no lock left', async () => {
  await scene({ ...rev('0001', 'base'), '0002_r.up.sql': 'select 2;\n', '0002_r.down.sql': 'select 2;\n' }, async ({ url, run }) => {
    const r = await run('up', '--verbose');
    exits(r, 3, 'up');
    assert.match(r.stderr, 'parent');
    assert.not.match(r.stderr, 'connected to', 'connecting is not reported for a folder that failed');
    assert.equal(await query(url, "select nspname from pg_namespace where nspname = 'sqlrev'"), []);
    assert.equal(await query(url, "select pid from pg_locks where locktype = 'advisory'"), []);
  });
});

t('with a sound folder, --verbose still reports connecting, and a no-op up reads no file text from the database', async () => {
  await scene({ ...rev('0001', 'base'), ...rev('0002', '0001') }, async ({ url, run }) => {
    exits(await run('up'), 0);
    const r = await run('up', '--verbose');
    exits(r, 0, 'no-op up');
    assert.match(r.stderr, 'connected to');
    assert.match(r.stderr, '2 revision(s) recorded as applied');
    assert.match(r.stderr, 'nothing to apply');
    const [{ n }] = await query<{ n: string }>(url, 'select count(*) as n from sqlrev.revisions');
    assert.is(Number(n), 2);
  });
});

t('parents go to the server as an array literal that it reads back element for element, as a parameter and as a literal', async () => {
  const items = ['a', 'with space', 'comma,here', 'brace}{', 'quote"d', 'back\\slash', '', 'NULL', "it's"];
  await withDatabase((url) => withSql(url, async (sql) => {
    const [asParam] = await sql.unsafe('select array_to_json($1::text[])::text as j', [arrayLiteral(items)]);
    assert.equal(JSON.parse(String(asParam.j)), items, 'as a parameter, as a revision of several messages sends it');
    const [rendered] = await send(sql, { text: 'select array_to_json($1::text[])::text as j', params: [arrayLiteral(items)] });
    assert.equal(JSON.parse(String(rendered.j)), items, 'the same written into the SQL as a literal');
  }));
});

t.run();
