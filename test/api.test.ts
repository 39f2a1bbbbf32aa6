/** The library API, used directly as an application would at start-up. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { down, EXIT, planUp, projectFromEntries, status, up } from '../src/index.js';
import { entries, pair, tempProject } from './support/folder.js';
import { query, withDatabase } from './support/pg.js';
import { rejects } from './support/rejects.js';

const api = suite('library api');


api('an app migrates at start-up in three lines and gets a typed result', async () => {
  const p = tempProject({
    ...pair('0001', 'base', 'create table t1 (x int);'), '0001_rev.down.sql': 'drop table t1;\n',
    ...pair('0002', '0001', 'create table t2 (x int);'), '0002_rev.down.sql': 'drop table t2;\n',
  });
  try {
    await withDatabase(async (url) => {
      const result = await up({ dir: p.dir, db: url });
      assert.equal(result.steps.map((s) => [s.id, s.status]), [['0001', 'done'], ['0002', 'done']]);
      assert.ok(result.steps.every((s) => typeof s.durationMs === 'number'));
      const again = await up({ dir: p.dir, db: url });
      assert.equal(again.steps, []);
      const st = await status({ dir: p.dir, db: url });
      assert.equal([st.current, st.pending, st.applied], [['0002'], [], 2]);
      const reverted = await down({ dir: p.dir, db: url, target: 'base' });
      assert.equal(reverted.steps.map((s) => s.id), ['0002', '0001']);
      const [{ n }] = await query(url, "select count(*)::int as n from pg_tables where tablename in ('t1', 't2')");
      assert.is(n, 0);
    });
  } finally { p.cleanup(); }
});

api('errors are SqlrevError values with the exit code the CLI would use', async () => {
  const p = tempProject({ ...pair('0001', 'base', 'select 1/0;') });
  try {
    await withDatabase(async (url) => {
      const failed = await rejects(up({ dir: p.dir, db: url }));
      assert.is(failed.exitCode, EXIT.sqlFailed);
      assert.is(failed.file, `${p.dir}/0001_rev.up.sql`);
      assert.is(failed.line, 3);
      const missing = await rejects(down({ dir: p.dir, db: url }));
      assert.is(missing.exitCode, EXIT.usage);
      const unreachable = await rejects(status({ dir: p.dir, db: 'postgres://nobody:pw@127.0.0.1:1/x' }));
      assert.is(unreachable.exitCode, EXIT.connect);
      assert.not.match(unreachable.message, ':pw@');
    });
  } finally { p.cleanup(); }
});

api('the pure planner works on files given in memory', () => {
  const project = projectFromEntries('migrations', entries({ ...pair('a', 'base'), ...pair('b', 'a'), ...pair('c', 'a') }));
  assert.equal(planUp(project.graph, new Set(['a']), 'heads').steps, ['b', 'c']);
  assert.equal(planUp(project.graph, new Set(), 'b').steps, ['a', 'b']);
});

api.run();
