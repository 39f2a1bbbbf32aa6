/**
 * Soak: many kill -9 of `migrate up` / `migrate down base` over 200 revisions
 * at seeded random moments, each followed by the checks of
 * test/faults/kill.test.ts (backend gone, lock free, recorded = real schema,
 * log replays) and a rerun that must exit 0.
 *
 *   node dist/bench/soak.js [--kills 60] [--seed N] [--revisions 200]
 *   SQLREV_SOAK_SEED=N node dist/bench/soak.js       (same as --seed)
 *   SQLREV_TEST_PG=embedded node dist/bench/soak.js  (a throwaway PostgreSQL 18)
 *
 * Prints the seed first, one line per kill, then the figures; exits 1 at the
 * first failed check (with the seed and the kill that broke it).
 */
import { parseArgs } from 'node:util';
import { tempProject } from '../test/support/folder.js';
import { databaseNoticingDeadClients, random } from '../test/support/faults.js';
import { killRounds, slowChain } from '../test/support/kills.js';
import { serverVersion } from '../test/support/pg.js';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '60' }, seed: { type: 'string' }, revisions: { type: 'string', default: '200' } } });
const kills = Number(values.kills);
const n = Number(values.revisions);
const seed = Number(values.seed ?? process.env.SQLREV_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`soak: seed ${seed} (--seed ${seed} replays it), ${kills} kills, ${n} revisions, PostgreSQL ${await serverVersion()}`);

const started = performance.now();
const p = tempProject(slowChain(n));
const db = await databaseNoticingDeadClients();
let code = 0;
try {
  const figures = await killRounds(p.cwd, db.url, n, kills, random(seed), (k, i) => {
    console.log(`kill ${String(i + 1).padStart(3)}: ${k.direction.padEnd(4)} +${String(k.delayMs).padStart(5)} ms  ${k.landed.padEnd(14)} ${k.applied} left applied`);
  });
  const count = (landed: string) => figures.kills.filter((k) => k.landed === landed).length;
  console.log(`soak: ${figures.kills.length} kills (${count('mid-revision')} mid-revision, ${count('between')} between revisions, ${count('finished-first')} after the run had finished), ${figures.reruns} reruns exit 0, 0 failures, ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${seed}`);
} catch (err) {
  console.log(`soak: FAILED after ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${seed}: ${(err as Error).message}`);
  code = 1;
} finally {
  await db.drop();
  p.cleanup();
}
process.exit(code);
