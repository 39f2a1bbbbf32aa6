/**
 * A data directory's postmaster, read from its `postmaster.pid`, and the
 * processes behind pids: for src/embedded.ts, which reuses a live server
 * and stops what it owns.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, SqlrevError } from './errors.js';

/** The pid of a running postmaster that holds `dataDir`, if any (a dead pid file is ignored). */
export function postmasterPid(dataDir: string): number | undefined {
  const info = readPidFile(join(dataDir, 'postmaster.pid'));
  return info && isPostgres(info.pid) ? info.pid : undefined;
}

export interface PidFile { pid: number; port: number; status: string }

function readPidFile(file: string): PidFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
  const lines = text.split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
}

/** A running postmaster in `dataDir` that accepts connections, after waiting out start-up or shutdown. */
export async function livePostmaster(dataDir: string, emit: (l: string) => void): Promise<PidFile | undefined> {
  const file = join(dataDir, 'postmaster.pid');
  for (let waited = 0; ; waited += 100) {
    const info = readPidFile(file);
    if (!info) return undefined;
    if (!isPostgres(info.pid)) {
      emit(`removing the stale ${file} (pid ${info.pid} is not running)`);
      await rm(file, { force: true });
      return undefined;
    }
    if (info.status === 'ready') return info;
    if (waited >= 10_000) {
      throw new SqlrevError('embedded-busy', EXIT.connect,
        `PostgreSQL (pid ${info.pid}) holds ${dataDir} but does not accept connections (status "${info.status}")`,
        { hint: `wait for it, or stop it with \`kill -INT ${info.pid}\`` });
    }
    await sleep(100);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: another user's process, so not a server we run
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): trust kill()
  }
}

/** Alive and a postgres process: after a reboot the pid may belong to anything. */
function isPostgres(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
  } catch {
    return true;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
