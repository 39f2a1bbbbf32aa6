/**
 * kill -9 at random moments of `up` and `down` over 200 revisions (DESIGN.md
 * §6: no half-recorded state, ever). The moments are seeded: the seed is
 * printed, and SQLREV_FAULT_SEED=<seed> replays them. bench/soak.ts runs the
 * same kill for many rounds.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tempProject } from '../support/folder.js';
import { runMigrate } from '../support/process.js';
import { databaseNoticingDeadClients, ids, random, recordedAndReal } from '../support/faults.js';
import { checkAfterKill, killAt, slowChain } from '../support/kills.js';

const N = 200;
const kills = suite('faults: kill -9 at random moments');

kills('kill -9 during up and down of 200 revisions: recorded = real schema, lock free, log consistent, reruns exit 0', async () => {
  const seed = Number(process.env.SQLREV_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  process.stderr.write(`faults: kill seed ${seed} (SQLREV_FAULT_SEED=${seed} replays it)\n`);
  const next = random(seed);
  const p = tempProject(slowChain(N));
  const db = await databaseNoticingDeadClients();
  try {
    const run = (...args: string[]) => runMigrate([...args, '--db', db.url, '--no-color'], { cwd: p.cwd }, 60_000);
    // A full up and down first (a kill that never comes): how long each runs once
    // it holds the lock, to spread the kills over that span.
    const upMs = (await killAt(p.cwd, db.url, 'up', 60_000)).runMs;
    const downMs = (await killAt(p.cwd, db.url, 'down', 60_000)).runMs;
    assert.equal(await recordedAndReal(db.url), { recorded: [], real: [] });

    const seen: string[] = [];
    for (const direction of ['up', 'up', 'down', 'down'] as const) {
      const delay = Math.floor(next() * 0.9 * (direction === 'up' ? upMs : downMs));
      const out = await killAt(p.cwd, db.url, direction, delay).catch((err: Error) => {
        throw new Error(`seed ${seed}, ${direction} killed after ${delay} ms: ${err.message}`);
      });
      seen.push(`${direction} +${delay}ms ${out.landed} (${out.applied} applied)`);
    }
    process.stderr.write(`faults: ${seen.join('; ')}\n`);

    const again = await run('up');
    assert.is(again.code, 0, `rerun up after the kills (seed ${seed}):\n${again.stderr}`);
    assert.equal(await recordedAndReal(db.url), { recorded: ids(N), real: ids(N) });
    const down = await run('down', 'base');
    assert.is(down.code, 0, `rerun down after the kills (seed ${seed}):\n${down.stderr}`);
    await checkAfterKill(db.url);
    assert.equal(await recordedAndReal(db.url), { recorded: [], real: [] });
  } finally {
    await db.drop();
    p.cleanup();
  }
});

kills.run();
