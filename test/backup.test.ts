/** `migrate up --backup DIR` through the real executable on a real server. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate } from './support/cli.js';
import { appliedIds, exits } from './support/db-assert.js';
import { pair, tempProject } from './support/folder.js';
import { withDatabase } from './support/pg.js';

const backup = suite('up --backup');

function onPath(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

backup('writes a pg_dump before applying, and names the file', async () => {
  if (!onPath('pg_dump')) {
    console.log('  (pg_dump is not on PATH here: only the missing-pg_dump test runs)');
    return;
  }
  const p = tempProject({ ...pair('0001', 'base', 'create table before_backup (x int);'), ...pair('0002', '0001', 'create table after_backup (x int);') });
  try {
    await withDatabase(async (url) => {
      exits(await migrate(['up', '0001'], { cwd: p.cwd, env: { DATABASE_URL: url } }), 0);
      const r = await migrate(['up', '--backup', 'backups'], { cwd: p.cwd, env: { DATABASE_URL: url } });
      if (/version mismatch/.test(r.stderr)) {
        exits(r, 1, 'an older pg_dump than the server');
        assert.equal(await appliedIds(url), ['0001'], 'nothing applied when the backup fails');
        return;
      }
      exits(r, 0);
      const files = readdirSync(path.join(p.cwd, 'backups'));
      assert.is(files.length, 1);
      assert.match(r.stderr, `backup written: backups/${files[0]}`);
      const file = path.join(p.cwd, 'backups', files[0]);
      assert.ok(statSync(file).size > 0);
      const listing = execFileSync('pg_restore', ['--list', file], { encoding: 'utf8' });
      assert.match(listing, 'before_backup', 'the dump holds the state before the run');
      assert.not.match(listing, 'after_backup', 'and not what the run applied');
      assert.equal(await appliedIds(url), ['0001', '0002']);
    });
  } finally { p.cleanup(); }
});

backup('without pg_dump on PATH it exits 2 and applies nothing', async () => {
  const p = tempProject({ ...pair('0001', 'base', 'create table t (x int);') });
  try {
    await withDatabase(async (url) => {
      const r = await migrate(['up', '--backup', 'backups'], { cwd: p.cwd, env: { DATABASE_URL: url, PATH: '/nonexistent' } });
      exits(r, 2);
      assert.match(r.stderr, 'pg_dump');
      assert.equal(await appliedIds(url), []);
      assert.not.ok(existsSync(path.join(p.cwd, 'backups', 'x')));
    });
  } finally { p.cleanup(); }
});

backup.run();
