/**
 * Timing whole processes for the offline benchmarks (offline.ts, alembic.ts):
 * wall time from spawn to exit and, through GNU time when it is installed,
 * the process's CPU time (user + system) and max RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;

/** The environment minus anything that would point the CLI at a database, another folder or other Node flags. */
export function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k.startsWith('PG') || k.startsWith('SQLREV_') || k.startsWith('NODE_')) continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  return env;
}

/** A command to run: an executable and its arguments. */
export interface Cmd {
  exe: string;
  args: readonly string[];
}

export interface Sample {
  wall: number;
  /** user + system seconds, and max RSS in MB, when GNU time is available. */
  cpu?: number;
  rssMb?: number;
}

/** One run, timed from spawn to exit; stdout goes to /dev/null. Throws on a non-zero exit. */
export function timedRun(cmd: Cmd, env: NodeJS.ProcessEnv, scratch: string): Sample {
  const report = path.join(scratch, 'time');
  const [exe, args] = hasGnuTime ? [GNU_TIME, ['-f', '%U %S %M', '-o', report, cmd.exe, ...cmd.args]] : [cmd.exe, [...cmd.args]];
  const start = performance.now();
  const r = spawnSync(exe, args, { cwd: scratch, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const wall = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cmd.exe} ${cmd.args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 2000)}`);
  if (!hasGnuTime) return { wall };
  const [user, sys, rssKb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: rssKb / 1024 };
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Measured {
  wall: number | undefined;
  wallMin: number;
  wallMax: number;
  cpu: number | undefined;
  rssMb: number | undefined;
}

/** `runs` timed runs: the median and range of wall time, the medians of CPU time and max RSS. */
export function measure(cmd: Cmd, runs: number, env: NodeJS.ProcessEnv, scratch: string): Measured {
  const samples = Array.from({ length: runs }, () => timedRun(cmd, env, scratch));
  const walls = samples.map((s) => s.wall);
  const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  return {
    wall: median(walls), wallMin: Math.min(...walls), wallMax: Math.max(...walls),
    cpu: median(defined(samples.map((s) => s.cpu))), rssMb: median(defined(samples.map((s) => s.rssMb))),
  };
}
