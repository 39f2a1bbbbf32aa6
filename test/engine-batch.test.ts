/**
 * Several small revisions in one message (messages.ts: batchFrom, Pacer;
 * run.ts: runBatch). Unit tests of how a batch is composed and how its size
 * adapts, then the runner on a real server: each revision of a batch commits
 * on its own, its duration and time are its own (not the message's), and a
 * failure leaves the revisions before it applied, the failing one rolled
 * back, and the rest not run, with the failing file line.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BATCH_MAX, BATCH_TARGET_MS, batchFrom, MESSAGE_CHARS, Pacer, type Step } from '../src/messages.js';
import { Runner, type BatchFailure } from '../src/run.js';
import { ensureState } from '../src/state.js';
import { SqlrevError } from '../src/errors.js';
import { query, withDatabase, withSql } from './support/pg.js';
import { appliedIds, exits, tables } from './support/db-assert.js';
import { rev, scene } from './support/scene.js';
import { until } from './support/process.js';
import { EXIT } from '../src/errors.js';

const t = suite('batches of revisions');
const SCHEMA = 'sqlrev';

function step(id: string, text: string, options: { direction?: 'up' | 'down'; transactional?: boolean } = {}): Step {
  return {
    id, direction: options.direction ?? 'up', file: `${id}.${options.direction ?? 'up'}.sql`, text, transactional: options.transactional ?? true,
    record: { id, parents: [], message: id, upChecksum: `u${id}`, downChecksum: `d${id}`, upText: text, downText: '', upPath: `${id}.up.sql`, downPath: `${id}.down.sql` },
  };
}

/** Revisions r1…rN, each creating its table; `body` replaces one revision's text. */
function chain(n: number, body: Record<string, string> = {}): Step[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `r${i + 1}`;
    return step(id, body[id] ?? `-- parent: base\ncreate table t_${id} (id int);\n`);
  });
}

t('a batch takes consecutive transactional revisions, each in its own transaction, then reads back their durations', () => {
  const steps = chain(3);
  const batch = batchFrom(SCHEMA, steps, 0, 10)!;
  assert.equal(batch.steps.map((s) => s.id), ['r1', 'r2', 'r3']);
  assert.is(batch.message.match(/^begin;$/gm)?.length, 3);
  assert.is(batch.message.match(/^commit;$/gm)?.length, 3);
  let at = 0;
  for (const [i, id] of ['r1', 'r2', 'r3'].entries()) {
    // Each revision's text sits where its layout says, after its own BEGIN and name.
    const { start, layout } = batch.layouts[i];
    assert.ok(start >= at);
    assert.ok(batch.message.startsWith(`begin;\nset local application_name = 'sqlrev up ${id}';\n`, start), batch.message.slice(start, start + 80));
    const statement = layout.parts.find((p) => p.statement)!;
    assert.is(batch.message.slice(start + statement.start, start + statement.end), `create table t_${id} (id int);`);
    at = start + layout.message.length;
  }
  assert.match(batch.message.slice(at), /^\nselect distinct on \(revision\) revision as sqlrev_revision/);
});

t('a batch stops at a revision outside a transaction, at the size asked for, and at MESSAGE_CHARS', () => {
  const steps = [...chain(2), step('r3', 'create index concurrently i on t (id);', { transactional: false }), ...chain(2)];
  assert.equal(batchFrom(SCHEMA, steps, 0, 10)!.steps.map((s) => s.id), ['r1', 'r2']);
  assert.is(batchFrom(SCHEMA, steps, 2, 10), undefined, 'a non-transactional revision runs alone');
  assert.equal(batchFrom(SCHEMA, chain(5), 1, 2)!.steps.map((s) => s.id), ['r2', 'r3']);
  const big = 'select 1;\n'.repeat(300);
  const bigs = [step('b1', big), step('b2', big), step('b3', big)];
  const limited = batchFrom(SCHEMA, bigs, 0, 10, 15_000)!;
  assert.equal(limited.steps.map((s) => s.id), ['b1', 'b2'], 'two messages of about 6.5 KB (the text, and again in the bookkeeping) fit in 15,000 characters, three do not');
  assert.ok(limited.message.length < 15_000 + 1_000);
  assert.is(batchFrom(SCHEMA, [step('h', 'select 1;\n'.repeat(2_000))], 0, 10, 15_000), undefined, 'a revision larger than a message is not batched');
  assert.ok(MESSAGE_CHARS > 15_000);
});

t('the pacer starts at one revision, grows while messages are quick, and falls back after a slow one', () => {
  const pacer = new Pacer();
  assert.is(pacer.size, 1);
  pacer.done(1, 1);
  assert.is(pacer.size, 2, 'at most doubling');
  pacer.done(2, 2);
  assert.is(pacer.size, 4);
  for (let i = 0; i < 10; i++) pacer.done(pacer.size, 1);
  assert.is(pacer.size, BATCH_MAX);
  pacer.done(BATCH_MAX, BATCH_TARGET_MS * 4);
  assert.is(pacer.size, BATCH_MAX / 4, 'as many as ran in the target time');
  pacer.done(2, BATCH_TARGET_MS * 10);
  assert.is(pacer.size, 1);
});

t('the ceiling the next message is laid out for ahead is never below what the pacer then chooses', () => {
  for (const max of [1, 3, BATCH_MAX]) {
    const pacer = new Pacer(max);
    for (const count of [1, 2, 5, 17, BATCH_MAX]) {
      for (const ms of [0, 0.5, 3, BATCH_TARGET_MS, BATCH_TARGET_MS * 7]) {
        pacer.done(count, ms);
        assert.ok(pacer.size <= pacer.ceiling(count), `max ${max}, ${count} revisions in ${ms} ms: size ${pacer.size}, ceiling ${pacer.ceiling(count)}`);
        assert.ok(pacer.size >= 1 && pacer.size <= max);
      }
      pacer.done(count, 0);
      assert.is(pacer.size, pacer.ceiling(count), 'a quick message reaches the ceiling');
    }
  }
});

/** A runner on a fresh database with sqlrev's state installed. */
async function withRunner(fn: (runner: Runner, url: string) => Promise<void>): Promise<void> {
  await withDatabase((url) => withSql(url, async (sql) => {
    await ensureState(sql, SCHEMA, 0);
    await fn(new Runner(sql, SCHEMA), url);
  }));
}

const recorded = async (url: string) => (await query(url, `select id from ${SCHEMA}.revisions order by id`)).map((r) => r.id);
const tablesOf = async (url: string) => (await query(url, `select relname from pg_class where relname like 't\\_%' and relkind = 'r' order by 1`)).map((r) => r.relname);

t('each revision of a batch is recorded with its own duration and start, not the message\'s', async () => {
  await withRunner(async (runner, url) => {
    const steps = chain(4, { r2: '-- parent: base\ncreate table t_r2 (id int);\nselect pg_sleep(0.3);\n' });
    const batch = batchFrom(SCHEMA, steps, 0, 10)!;
    assert.is(batch.steps.length, 4);
    const outcomes = await runner.runBatch(batch);
    assert.equal(outcomes.map((o) => o.id), ['r1', 'r2', 'r3', 'r4']);
    assert.ok(outcomes[1].durationMs! >= 300, `r2 slept 0.3 s: ${outcomes[1].durationMs}`);
    for (const i of [0, 2, 3]) assert.ok(outcomes[i].durationMs! < 300, `r${i + 1} did not sleep: ${outcomes[i].durationMs}`);
    assert.equal(await recorded(url), ['r1', 'r2', 'r3', 'r4']);
    const rows = await query(url, `select r.id, extract(epoch from r.applied_at) as at, extract(epoch from r.duration) * 1000 as ms, extract(epoch from l.at) as log_at, extract(epoch from l.duration) * 1000 as log_ms
      from ${SCHEMA}.revisions r join ${SCHEMA}.log l on l.revision = r.id and l.action = 'up' order by r.id`);
    const [, r2, r3] = rows.map((r) => ({ id: r.id, at: Number(r.at), ms: Number(r.ms), logAt: Number(r.log_at), logMs: Number(r.log_ms) }));
    assert.ok(r3.at >= r2.at + 0.3, `r3 started after r2 slept: r2 at ${r2.at}, r3 at ${r3.at}`);
    assert.ok(r3.ms < 300, `r3's own duration: ${r3.ms} ms`);
    assert.ok(Math.abs(r2.logAt - r2.at) < 0.05 && r2.logMs >= 300, 'the log row agrees');
  });
});

t('a statement error with a position: the revisions before it stay applied, it rolls back, the rest do not run', async () => {
  await withRunner(async (runner, url) => {
    const steps = chain(5, { r3: '-- parent: base\ncreate table t_r3 (id int);\n\nselect frm t_r3;\n' });
    const err = await runner.runBatch(batchFrom(SCHEMA, steps, 0, 10)!).then(() => undefined, (e: unknown) => e as BatchFailure);
    assert.instance(err, SqlrevError);
    assert.is(err!.revision, 'r3');
    assert.is(err!.file, 'r3.up.sql');
    assert.is(err!.line, 4, err!.message);
    assert.equal(err!.completed.map((o) => o.id), ['r1', 'r2']);
    assert.equal(await recorded(url), ['r1', 'r2']);
    assert.equal(await tablesOf(url), ['t_r1', 't_r2']);
  });
});

t('an error without a position (division by zero) is found in its revision and statement', async () => {
  await withRunner(async (runner, url) => {
    const steps = chain(4, { r2: '-- parent: base\ncreate table t_r2 (id int);\ninsert into t_r2 values (1);\nselect 1 / (count(*) - 1) from t_r2;\n' });
    const err = await runner.runBatch(batchFrom(SCHEMA, steps, 0, 10)!).then(() => undefined, (e: unknown) => e as BatchFailure);
    assert.is(err?.revision, 'r2');
    assert.is(err!.line, 4, err!.message);
    assert.match(err!.message, /division by zero/);
    assert.equal(err!.completed.map((o) => o.id), ['r1']);
    assert.equal(await recorded(url), ['r1']);
    assert.equal(await tablesOf(url), ['t_r1']);
  });
});

t('down in a batch: a failing revert keeps the ones before it reverted and the rest applied', async () => {
  await withRunner(async (runner, url) => {
    await runner.runBatch(batchFrom(SCHEMA, chain(3), 0, 10)!);
    const downs = ['r3', 'r2', 'r1'].map((id) => step(id, id === 'r2' ? 'drop table t_missing;\n' : `drop table t_${id};\n`, { direction: 'down' }));
    const err = await runner.runBatch(batchFrom(SCHEMA, downs, 0, 10)!).then(() => undefined, (e: unknown) => e as BatchFailure);
    assert.is(err?.revision, 'r2');
    assert.is(err!.file, 'r2.down.sql');
    assert.equal(err!.completed.map((o) => o.id), ['r3']);
    assert.equal(await recorded(url), ['r1', 'r2']);
    assert.equal(await tablesOf(url), ['t_r1', 't_r2']);
  });
});

t('the connection lost in the middle of a batch: exit 5, naming every revision of the message; the ones before stay applied', async () => {
  await withRunner(async (runner, url) => {
    const steps = chain(4, { r3: '-- parent: base\ncreate table t_r3 (id int);\nselect pg_sleep(30);\n' });
    const running = runner.runBatch(batchFrom(SCHEMA, steps, 0, 10)!).then(() => undefined, (e: unknown) => e as SqlrevError);
    const pid = await until('r3 sleeping', async () => {
      const [row] = await query(url, `select pid from pg_stat_activity where application_name = 'sqlrev up r3' and wait_event = 'PgSleep'`);
      return row ? Number(row.pid) : undefined;
    });
    await query(url, 'select pg_terminate_backend($1)', [pid]);
    const err = await running;
    assert.is(err?.exitCode, EXIT.connect);
    assert.is(err!.code, 'connection-lost');
    assert.match(err!.message, 'one message of 4 revisions ran (r1, r2, r3, r4)', err!.message);
    assert.match(err!.hint ?? '', 'migrate status shows');
    assert.equal(await recorded(url), ['r1', 'r2'], 'each revision committed on its own before the loss');
    assert.equal(await tablesOf(url), ['t_r1', 't_r2']);
  });
});

t('through the executable: quick revisions share messages, one line each in order; --batch 1 sends each alone', async () => {
  const ids = Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(4, '0'));
  const files = Object.assign({}, ...ids.map((id, i) => rev(id, i === 0 ? 'base' : ids[i - 1])));
  await scene(files, async ({ url, run }) => {
    const r = await run('up', '--verbose');
    exits(r, 0, 'up');
    assert.equal(await appliedIds(url), ids);
    assert.equal(await tables(url), ids.map((id) => `t_${id}`));
    // The first message carries one revision; quick ones make the next ones larger.
    assert.match(r.stderr, /^one message for \d+ revisions: 0002 … 00\d\d$/m);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('applied '));
    assert.equal(lines.map((l) => l.replace(/ \(\d+ ms\)/, '')), ids.map((id, i) => `applied ${id} [${i + 1}/20]`));
    assert.ok(lines.every((l) => / \(\d+ ms\) /.test(l)), `each line has its duration:\n${lines.join('\n')}`);

    const d = await run('down', 'base', '--batch', '1', '--verbose');
    exits(d, 0, 'down --batch 1');
    assert.not.match(d.stderr, /one message for/);
    assert.equal(await appliedIds(url), []);
    exits(await run('up', '--batch', '0'), 2, '--batch 0');
    assert.equal(await appliedIds(url), [], '--batch 0 changed nothing');
  });
});

t.run();
