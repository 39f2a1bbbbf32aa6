/**
 * Revisions larger than one message (MESSAGE_CHARS): sent in several messages
 * inside one transaction. Unit tests of the layout, then the real executable:
 * a 3 MB revision applies and is recorded whole; a syntax error and a runtime
 * error in a late message are reported at their file line, and nothing of the
 * revision stays.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MESSAGE_CHARS, revisionMessages, type Step } from '../src/messages.js';
import { splitSql } from '../src/split.js';
import { EXIT } from '../src/errors.js';
import { appliedIds, exits, tables } from './support/db-assert.js';
import { query } from './support/pg.js';
import { rev, scene } from './support/scene.js';

const t = suite('large revisions');

function step(text: string): Step {
  return {
    id: 'big1', direction: 'up', file: 'big1.up.sql', text, transactional: true,
    record: { id: 'big1', parents: [], message: '', upChecksum: 'u', downChecksum: 'd', upText: text, downText: '', upPath: 'big1.up.sql', downPath: 'big1.down.sql' },
  };
}

/** `rows` INSERT statements (about 70 bytes each) into t_<id>, after its CREATE TABLE. */
function inserts(id: string, rows: number, at?: { row: number; sql: string }): string {
  const lines = [`create table t_${id} (n int primary key, pad text);`];
  for (let i = 0; i < rows; i++) lines.push(at?.row === i ? at.sql : `insert into t_${id} values (${i}, '${'x'.repeat(40)}');`);
  return lines.join('\n');
}

t('a small revision is one message carrying its bookkeeping and COMMIT', () => {
  const plan = revisionMessages('sqlrev', step('create table a (); create table b ();'))!;
  assert.is(plan.count, 1);
  assert.equal(plan.after, []);
  const { message } = plan.message(0);
  assert.ok(message.startsWith('begin;\n'), message);
  assert.ok(message.trimEnd().endsWith('commit;'), message);
});

t('a large revision is cut at statement boundaries; every statement is sent once, in order', () => {
  const text = inserts('x', 400);
  const plan = revisionMessages('sqlrev', step(text), 2_000)!;
  assert.ok(plan.count > 5, `${plan.count} messages`);
  assert.is(plan.after.length, 1, 'the revision row and its log row go afterwards, as one statement with parameters');
  assert.match(plan.after[0].text, /insert into "sqlrev"."revisions"[\s\S]*insert into "sqlrev"."log"/);
  assert.ok(plan.after[0].params.includes(text), 'the text goes as a parameter, not copied into a literal');
  const sent: string[] = [];
  for (let i = 0; i < plan.count; i++) {
    const { message, parts } = plan.message(i);
    assert.ok(i === 0 ? message.startsWith('begin;\n') : !/^begin/.test(message), `message ${i} opens the transaction only if first`);
    assert.not.match(message, /commit;/, `message ${i} does not commit`);
    assert.ok(message.length <= 2_000 + 200, `message ${i} is ${message.length} characters`);
    for (const p of parts) if (p.statement) assert.is(message.slice(p.start, p.end), p.statement.text, `message ${i}: a part points at its statement`);
    sent.push(...parts.flatMap((p) => (p.statement ? [p.statement.text] : [])));
  }
  assert.equal(sent, splitSql(text).statements.map((s) => s.text));
});

t('a statement larger than the limit is a message of its own', () => {
  const huge = `select '${'y'.repeat(5_000)}';`;
  const plan = revisionMessages('sqlrev', step(`select 1;\n${huge}\nselect 2;`), 1_000)!;
  assert.is(plan.count, 3);
  assert.match(plan.message(1).message, huge);
});

// ---------------------------------------------------------------- on a server

const rows = Math.ceil((3 * MESSAGE_CHARS) / 60);

t('a revision of several messages applies whole and is recorded with its full text', async () => {
  const text = inserts('big1', rows);
  await scene({ ...rev('big1', 'base', { up: text }) }, async ({ url, run }) => {
    exits(await run('up'), 0, 'up');
    const [{ count }] = await query(url, 'select count(*)::int as count from t_big1');
    assert.is(count, rows);
    const [{ up_text }] = await query(url, `select up_text from sqlrev.revisions where id = 'big1'`);
    assert.is(up_text, `-- parent: base\n${text}\n`);
    exits(await run('verify'), 0, 'verify after up');
    exits(await run('down', 'base'), 0, 'down');
    assert.equal(await tables(url), []);
  });
});

t('a syntax error in a late message is reported at its file line; nothing stays', async () => {
  const bad = rows - 10;
  const text = inserts('big1', rows, { row: bad, sql: 'insert into t_big1 valuse (1);' });
  await scene({ ...rev('aa01', 'base'), ...rev('big1', 'aa01', { up: text }) }, async ({ url, run }) => {
    const r = await run('up');
    exits(r, EXIT.sqlFailed, 'up');
    const line = bad + 3; // the header line, the CREATE TABLE, then row 0 on line 3
    assert.match(r.stderr, `big1_r.up.sql:${line}:`);
    assert.match(r.stderr, 'valuse');
    assert.equal(await appliedIds(url), ['aa01']);
    assert.equal(await tables(url), ['t_aa01']);
  });
});

t('a runtime error (no position) in a late message is located by rerunning only that message, rolled back', async () => {
  const dup = rows - 5;
  const text = inserts('big1', rows, { row: dup, sql: 'insert into t_big1 values (7, \'duplicate\');' });
  await scene({ ...rev('big1', 'base', { up: text }) }, async ({ url, run }) => {
    const r = await run('up');
    exits(r, EXIT.sqlFailed, 'up');
    assert.match(r.stderr, `big1_r.up.sql:${dup + 3}:`);
    assert.match(r.stderr, '23505');
    assert.equal(await appliedIds(url), []);
    assert.equal(await tables(url), []);
    const [{ n }] = await query(url, `select count(*)::int as n from sqlrev.log where action = 'failed'`);
    assert.is(n, 1, 'one failed entry in the log');
  });
});

t('--single-transaction runs a large revision too', async () => {
  const text = inserts('big1', rows);
  await scene({ ...rev('aa01', 'base'), ...rev('big1', 'aa01', { up: text }) }, async ({ url, run }) => {
    exits(await run('up', '--single-transaction'), 0, 'up --single-transaction');
    assert.equal(await appliedIds(url), ['aa01', 'big1']);
    const [{ count }] = await query(url, 'select count(*)::int as count from t_big1');
    assert.is(count, rows);
  });
});

t.run();
