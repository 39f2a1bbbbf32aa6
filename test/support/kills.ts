/**
 * kill -9 at a random (seeded) moment of `migrate up` or `migrate down`, and
 * the checks after it: the killed backend gone, sqlrev's lock free, every
 * revision recorded iff its table exists, and the log replaying to the
 * recorded set. Used by test/faults/kill.test.ts (a few kills) and
 * bench/soak.ts (many).
 */
import { query } from './pg.js';
import { startMigrate, until } from './process.js';
import { backendsGone, chainParent, LOCK_CLASS, logRows, migratorBackends, recordedAndReal, replay } from './faults.js';

/**
 * `n` revisions in a line whose up creates table t<id>: every third also
 * sleeps 5 ms and every third inserts 2,000 rows, so a kill lands inside a
 * revision as well as between two.
 */
export function slowChain(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let k = 1; k <= n; k++) {
    const id = String(k).padStart(4, '0');
    const parent = k === 1 ? 'base' : String(k - 1).padStart(4, '0');
    const work = k % 3 === 0 ? 'select pg_sleep(0.005);' : k % 3 === 1 ? `insert into t${id} select generate_series(1, 2000);` : '';
    files[`${id}_r.up.sql`] = `-- parent: ${parent}\ncreate table t${id} (id int);\n${work}\n`;
    files[`${id}_r.down.sql`] = `drop table t${id};\n`;
  }
  return files;
}

export interface KillOutcome {
  direction: 'up' | 'down';
  delayMs: number;
  /** What the migrator's backend was doing just before the kill. */
  landed: 'mid-revision' | 'between' | 'finished-first';
  /** Revisions recorded after the kill. */
  applied: number;
  /** From taking the lock to the kill, or to the end when the run finished first. */
  runMs: number;
}

/**
 * Start `migrate <direction>`, SIGKILL it `delayMs` after its backend holds
 * sqlrev's lock, then check the database. Throws with the details when a
 * check fails. `landed` is sampled from pg_stat_activity just before the
 * kill: 'active' means inside a revision's statements, 'between' covers the
 * client's side between two revisions and the bookkeeping's round trips.
 */
export async function killAt(cwd: string, url: string, direction: 'up' | 'down', delayMs: number): Promise<KillOutcome> {
  const args = direction === 'up' ? ['up', 'head'] : ['down', 'base'];
  const m = startMigrate([...args, '--db', url, '--no-color', '--lock-timeout', '30'], { cwd });
  let landed: KillOutcome['landed'];
  let runMs: number;
  try {
    // Count from the moment it holds the lock: node's start-up time varies far more than the run.
    await until('the migrator to take the lock or finish', async () => !m.running() || (await lockPids(url)).length > 0, { ms: 30_000 });
    const locked = performance.now();
    // The random moment itself (not a wait for a condition), cut short if the run ends first.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([m.exited, new Promise((resolve) => { timer = setTimeout(resolve, delayMs); })]);
    clearTimeout(timer);
    runMs = performance.now() - locked;
    const [backend] = m.running() ? await migratorBackends(url) : [];
    landed = !m.running() ? 'finished-first' : backend?.state === 'active' ? 'mid-revision' : 'between';
    m.signal('SIGKILL');
    const r = await m.result(30_000);
    if (landed === 'finished-first' && r.code !== 0) throw new Error(`migrate ${args.join(' ')} exited ${r.code} before the kill\n${r.stderr}`);
  } finally {
    await m.stop();
  }
  await checkAfterKill(url);
  const { recorded } = await recordedAndReal(url);
  return { direction, delayMs, landed, applied: recorded.length, runMs };
}

/** After a kill: backends gone, no advisory lock held, recorded = real, the log replays to the recorded set. */
export async function checkAfterKill(url: string): Promise<void> {
  await backendsGone(url);
  const locks = await lockPids(url);
  if (locks.length) throw new Error(`sqlrev's lock is still held by ${locks.join(', ')}`);
  const { recorded, real } = await recordedAndReal(url);
  if (recorded.join() !== real.join()) throw new Error(`recorded ${recorded.length} revisions, ${real.length} tables exist:\nonly recorded: ${recorded.filter((id) => !real.includes(id))}\nonly tables: ${real.filter((id) => !recorded.includes(id))}`);
  const replayed = [...replay(await logRows(url), chainParent)].sort();
  if (replayed.join() !== recorded.join()) throw new Error(`the log replays to ${replayed.length} revisions, ${recorded.length} are recorded`);
}

/** Sessions holding any advisory lock of sqlrev's class in this database. */
async function lockPids(url: string): Promise<number[]> {
  const rows = await query(url, `select pid from pg_locks where locktype = 'advisory' and granted and classid = $1
    and database = (select oid from pg_database where datname = current_database())`, [LOCK_CLASS]);
  return rows.map((r) => Number(r.pid));
}

export interface SoakFigures {
  kills: KillOutcome[];
  reruns: number;
}

/**
 * After a full `up`, `kills` rounds: kill -9 `down base` or `up` (alternately,
 * down first) at a random moment of how long that command takes from the
 * lock to its end, check, then rerun the same command to its end (exit 0,
 * checked). How long a whole run takes is re-estimated from each rerun (its
 * time per revision), so the kills keep spreading over the run as the
 * machine's load changes. `onKill` hears each kill as it happens.
 */
export async function killRounds(cwd: string, url: string, n: number, kills: number, next: () => number, onKill: (k: KillOutcome, i: number) => void = () => undefined): Promise<SoakFigures> {
  const all = Array.from({ length: n }, (_, i) => String(i + 1).padStart(4, '0'));
  const full = await killAt(cwd, url, 'up', 600_000);
  await expectRecorded(url, all, 'the first full up');
  const span = { up: full.runMs, down: full.runMs };
  const figures: SoakFigures = { kills: [], reruns: 0 };
  for (let i = 0; i < kills; i++) {
    const direction = i % 2 === 0 ? 'down' : 'up';
    const delay = Math.floor(next() * span[direction]);
    const k = await killAt(cwd, url, direction, delay).catch((err: Error) => {
      throw new Error(`kill ${i + 1}: ${direction} killed ${delay} ms after taking the lock: ${err.message}`);
    });
    figures.kills.push(k);
    onKill(k, i);
    const rerun = await killAt(cwd, url, direction, 600_000).catch((err: Error) => {
      throw new Error(`rerun ${direction} after kill ${i + 1} (${delay} ms): ${err.message}`);
    });
    await expectRecorded(url, direction === 'up' ? all : [], `rerun ${direction} after kill ${i + 1}`);
    figures.reruns++;
    const work = direction === 'up' ? n - k.applied : k.applied;
    if (work >= n / 10) span[direction] = (rerun.runMs * n) / work;
  }
  return figures;
}

async function expectRecorded(url: string, ids: string[], what: string): Promise<void> {
  const { recorded } = await recordedAndReal(url);
  if (recorded.join() !== ids.join()) throw new Error(`${what}: ${recorded.length} revisions recorded, expected ${ids.length}`);
}
