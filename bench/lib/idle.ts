/**
 * How busy the machine is, from /proc/stat (Linux). A shared machine with
 * other work on its CPUs makes every round trip slower, and more so for the
 * contender with more round trips, so the engine benchmark waits for a quiet
 * moment before each round and reports how quiet it was.
 */
import { existsSync, readFileSync } from 'node:fs';

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle: fields[3] + (fields[4] ?? 0), total };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** The share of all CPUs idle during the next `ms` milliseconds, or undefined without /proc/stat. */
export function idleShare(ms = 1000): number | undefined {
  const a = cpuTimes();
  if (!a) return undefined;
  sleepMs(ms);
  const b = cpuTimes()!;
  const total = b.total - a.total;
  return total > 0 ? (b.idle - a.idle) / total : undefined;
}

/**
 * Wait until at least `threshold` of the CPUs are idle over one second, for
 * at most `maxSeconds`. Returns the last measured share (undefined when it
 * cannot be measured) and whether the wait gave up.
 */
export function waitForIdle(threshold: number, maxSeconds: number, log: (line: string) => void): { share?: number; gaveUp: boolean } {
  if (threshold <= 0) return { share: idleShare(250), gaveUp: false };
  const deadline = Date.now() + maxSeconds * 1000;
  let share = idleShare();
  let told = false;
  while (share !== undefined && share < threshold) {
    if (Date.now() >= deadline) {
      log(`  the CPUs stayed busy (${pct(share)} idle) for ${maxSeconds} s; running anyway`);
      return { share, gaveUp: true };
    }
    if (!told) log(`  waiting for the CPUs to be ≥ ${pct(threshold)} idle (now ${pct(share)})…`);
    told = true;
    share = idleShare();
  }
  return { share, gaveUp: false };
}

export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
