/**
 * The real `migrate` executable as a long-running child that a test can
 * watch and signal: for Ctrl-C, SIGTERM and kill -9 tests, and for several
 * runners at once. Timing is never a fixed sleep: `until` polls a condition
 * up to a deadline and fails the test with what it was waiting for.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, cleanEnv, type CliResult } from './cli.js';

export interface Migrator {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  running(): boolean;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when it has exited and its output is complete. */
  readonly exited: Promise<CliResult>;
  /** The exit, or a failure naming the command once `ms` have passed (the child is then killed). */
  result(ms?: number): Promise<CliResult>;
  signal(name: NodeJS.Signals): void;
  /** For `finally`: SIGKILL it if it still runs, and wait until it is gone. */
  stop(): Promise<void>;
}

/** Start `migrate args…` without waiting for it. */
export function startMigrate(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): Migrator {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.stdin.end();
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start migrate ${args.join(' ')}`);
  const pid = child.pid;
  const describe = () => `migrate ${args.join(' ')}`;
  return {
    child, pid, exited,
    running: () => !done,
    stdout: () => stdout,
    stderr: () => stderr,
    signal: (name) => {
      if (!done) child.kill(name);
    },
    result: async (ms = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (!done) child.kill('SIGKILL');
          reject(new Error(`${describe()} did not exit within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, ms);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    stop: async () => {
      if (!done) child.kill('SIGKILL');
      await exited.catch(() => undefined);
    },
  };
}

/** Run `migrate args…` to its end, within `ms`. */
export async function runMigrate(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }, ms = 60_000): Promise<CliResult> {
  const m = startMigrate(args, options);
  try {
    return await m.result(ms);
  } finally {
    await m.stop();
  }
}

export interface UntilOptions {
  /** Give up after this long (default 15 s). */
  ms?: number;
  /** Poll interval (default 25 ms). */
  every?: number;
  /** Migrators that must keep running meanwhile: if one exits, fail at once with its output. */
  alive?: readonly Migrator[];
}

/**
 * Poll `check` until it returns something other than undefined/false, or
 * fail after the deadline with `what` (and the last error seen).
 */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, options: UntilOptions = {}): Promise<T> {
  const ms = options.ms ?? 15_000;
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    for (const m of options.alive ?? []) {
      if (!m.running()) {
        const r = await m.exited;
        throw new Error(`while waiting for ${what}, migrate exited early (code ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.every ?? 25));
  }
}
