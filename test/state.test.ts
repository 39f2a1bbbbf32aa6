/** The state schema on a real server: created once, upgraded in place without losing rows. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureState, readState, stateFiles, LATEST_STATE_VERSION, insertRevision, logAction, renderStatement, send } from '../src/state.js';
import { withDatabase, query, withSql } from './support/pg.js';

const state = suite('state schema');


const record = { id: 'r1', parents: ['p0'], message: 'm', upChecksum: 'sha256:u', downChecksum: 'sha256:d', upText: "select 'it''s';", downText: 'select 2;', upPath: 'migrations/r1.up.sql', downPath: null };

state('a missing state schema reads as version 0 with nothing applied', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    const s = await readState(sql, 'sqlrev');
    assert.is(s.version, 0);
    assert.is(s.rows.size, 0);
  }));
});

state('the state schema installs at the latest version and keeps texts exactly', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    assert.is(await ensureState(sql, 'odd "name"', 0), LATEST_STATE_VERSION());
    await send(sql, insertRevision('odd "name"', record, 'stamp'));
    const s = await readState(sql, 'odd "name"');
    assert.is(s.version, LATEST_STATE_VERSION());
    const row = s.rows.get('r1')!;
    assert.equal(row.parents, ['p0']);
    assert.is(row.upText, record.upText);
    assert.is(row.appliedHow, 'stamp');
    assert.is(await ensureState(sql, 'odd "name"', s.version), s.version, 'a second run changes nothing');
  }));
});

state('a later state version upgrades in place without losing rows', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    const v1 = stateFiles().filter(([v]) => v === 1);
    await ensureState(sql, 'sqlrev', 0, v1);
    await send(sql, insertRevision('sqlrev', record, 'stamp'));
    const v2: [number, string][] = [...v1, [2, 'alter table :"schema".revisions add column note text;\nupdate :"schema".meta set value = \'2\' where key = \'state_version\';']];
    assert.is(await ensureState(sql, 'sqlrev', 1, v2), 2);
    const rows = await query(url, 'select id, note from sqlrev.revisions');
    assert.equal(rows.map((r) => [r.id, r.note]), [['r1', null]]);
    const [meta] = await query(url, "select value from sqlrev.meta where key = 'state_version'");
    assert.is(meta.value, '2');
  }));
});

state('the state files go in one message, each its own transaction: a failing file leaves those before it committed and the session usable', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    const v1 = stateFiles().filter(([v]) => v === 1);
    const files: [number, string][] = [...v1, [2, 'update :"schema".meta set value = \'2\' where key = \'state_version\';\nselect 1 / 0;'], [3, 'create table :"schema".never (x int);']];
    const failed = await ensureState(sql, 'sqlrev', 0, files).then(() => '', (err: Error) => err.message);
    assert.match(failed, 'division by zero');
    const [meta] = await query(url, "select value from sqlrev.meta where key = 'state_version'");
    assert.is(meta.value, '1', 'version 1 committed; version 2 rolled back');
    assert.equal(await query(url, "select 1 from pg_tables where schemaname = 'sqlrev' and tablename = 'never'"), [], 'version 3 never ran');
    assert.equal([...await sql.unsafe('select 42 as answer').simple()].map((r) => r.answer), [42], 'not left in an aborted transaction');
    assert.is((await readState(sql, 'sqlrev')).version, 1);
  }));
});

state('state version 1 upgrades to 2 in place: rows kept, and the log accepts \'started\'', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    await ensureState(sql, 'sqlrev', 0, stateFiles().filter(([v]) => v === 1));
    await send(sql, insertRevision('sqlrev', record, 'stamp'));
    await send(sql, logAction('sqlrev', 'stamp', 'r1', null));
    const refused = await send(sql, logAction('sqlrev', 'started', 'r1', null)).then(() => '', (err: Error) => err.message);
    assert.match(refused, 'log_action_check', 'version 1 does not know \'started\'');
    assert.is(await ensureState(sql, 'sqlrev', 1), LATEST_STATE_VERSION());
    await send(sql, logAction('sqlrev', 'started', 'r1', { direction: 'up' }));
    assert.equal((await query(url, 'select action from sqlrev.log order by seq')).map((r) => r.action), ['stamp', 'started']);
    assert.equal([...(await readState(sql, 'sqlrev')).rows.keys()], ['r1']);
  }));
});

state('the log refuses updates and deletes', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    await ensureState(sql, 'sqlrev', 0);
    await sql.unsafe("insert into sqlrev.log (action, tool_version) values ('stamp', 'test')");
    let message = '';
    try {
      await sql.unsafe('delete from sqlrev.log');
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, 'append-only');
    const [count] = await query(url, 'select count(*)::int as n from sqlrev.log');
    assert.is(count.n, 1);
  }));
});

state('bookkeeping rendered as literals stores texts exactly, whatever standard_conforming_strings says', async () => {
  await withDatabase(async (url) => withSql(url, async (sql) => {
    await ensureState(sql, 'sqlrev', 0);
    const tricky = { ...record, id: 'lit', upText: "select E'\\\\' as bs, 'it''s' as q; -- \\n stays", downText: 'back\\slash \\\' quote' };
    for (const scs of ['on', 'off']) {
      await sql.unsafe(`set standard_conforming_strings = ${scs}; set escape_string_warning = off`).simple();
      await sql.unsafe(`begin; ${renderStatement(insertRevision('sqlrev', tricky, 'stamp'))} `).simple();
      const [row] = await sql.unsafe("select up_text, down_text from sqlrev.revisions where id = 'lit'");
      await sql.unsafe('rollback').simple();
      assert.is(row.up_text, tricky.upText, `standard_conforming_strings = ${scs}`);
      assert.is(row.down_text, tricky.downText, `standard_conforming_strings = ${scs}`);
    }
  }));
});

state.run();
