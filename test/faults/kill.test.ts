/**
 * kill -9 at random moments of `up` and `down` over 200 revisions (DESIGN.md
 * §6: no half-recorded state, ever). After each kill: the killed backend is
 * gone, sqlrev's lock is free, each revision is recorded iff its table
 * exists, the log replays to the recorded set, and a rerun exits 0. The
 * moments are seeded: the seed is printed, SQLREV_FAULT_SEED=<seed> replays
 * them. bench/soak.ts runs the same rounds many times.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tempProject } from '../support/folder.js';
import { databaseNoticingDeadClients, random } from '../support/faults.js';
import { killRounds, slowChain } from '../support/kills.js';

const N = 200;
const kills = suite('faults: kill -9 at random moments');

kills('kill -9 during up and down of 200 revisions: recorded = real schema, lock free, log consistent, reruns exit 0', async () => {
  const seed = Number(process.env.SQLREV_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  process.stderr.write(`faults: kill seed ${seed} (SQLREV_FAULT_SEED=${seed} replays it)\n`);
  const p = tempProject(slowChain(N));
  const db = await databaseNoticingDeadClients();
  try {
    const figures = await killRounds(p.cwd, db.url, N, 2, random(seed)).catch((err: Error) => {
      throw new Error(`seed ${seed}: ${err.message}`);
    });
    process.stderr.write(`faults: ${figures.kills.map((k) => `${k.direction} +${k.delayMs}ms ${k.landed} (${k.applied} left applied)`).join('; ')}\n`);
    assert.is(figures.kills.length, 2);
    assert.is(figures.reruns, 2);
  } finally {
    await db.drop();
    p.cleanup();
  }
});

kills.run();
