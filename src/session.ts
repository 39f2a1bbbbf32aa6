/**
 * A database session for the commands: the configured connection (the
 * embedded server shared by the sessions of one process), the lock, the state
 * schema made ready, and always — on success, failure or Ctrl-C — the lock
 * released and the connection closed. Server errors become SqlrevErrors.
 */
import { checkSchemaName } from './config.js';
import { connect, errorCode, stateError, acquireLock, releaseLock, describeHolder, type Connection, type Notice } from './db.js';
import { EXIT, SqlrevError } from './errors.js';
import { ensureState, probeState, readState, LATEST_STATE_VERSION, type State } from './state.js';
import { Runner, type Step, type StepOutcome } from './run.js';
import type { Revision } from './types.js';

export interface Hooks {
  info?(message: string): void;
  /** Detail for --verbose: the connection, the lock, the state schema, the plan. */
  debug?(message: string): void;
  warn?(message: string): void;
  notice?(notice: Notice): void;
  /** Before each message: index from 1, total, its first step, and how many steps it carries (a batch: see messages.ts). */
  stepStart?(index: number, total: number, step: Step, count: number): void;
  stepDone?(index: number, total: number, outcome: StepOutcome): void;
  /** Asked before destructive commands; resolve false to cancel. */
  confirm?(question: string): Promise<boolean>;
}

export interface DbOptions {
  /** Migrations folder (default `migrations`). */
  dir?: string;
  /** State schema (default `sqlrev`). */
  schema?: string;
  /** URL, `embedded`, or undefined for libpq PG* variables. */
  db?: string;
  /** Another database on the same server (scratch databases of `migrate test`). */
  database?: string;
  lockTimeout?: number;
  wait?: number;
  hooks?: Hooks;
  /** Aborting cancels the running statement and rolls back. */
  signal?: AbortSignal;
  /**
   * The revisions of the migrations folder, read before connecting (its
   * problems are reported whatever the server does): readState then skips
   * the stored texts of unedited revisions.
   */
  files?: ReadonlyMap<string, Revision>;
}

export type Resolved<T extends DbOptions> = T & { dir: string; schema: string };

/** The library's defaults, the same as the CLI's. */
export function withDefaults<T extends DbOptions>(options: T): Resolved<T> {
  return { ...options, dir: options.dir ?? 'migrations', schema: checkSchemaName(options.schema ?? 'sqlrev') };
}

export interface Session {
  conn: Connection;
  /** The URL connected to (undefined: libpq PG* variables). */
  url?: string;
  stop(): Promise<void>;
}

/** The embedded server, shared by the sessions of this process and stopped with the last. */
let embedded: { server: Promise<{ url: string; stop(): Promise<void> }>; users: number } | undefined;

async function useEmbedded(hooks: Hooks): Promise<{ url: string; release(): Promise<void> }> {
  if (!embedded) {
    hooks.info?.('starting the embedded PostgreSQL (data in .sqlrev/pg/)');
    embedded = { server: import('./embedded.js').then((m) => m.startEmbedded({ dataDir: '.sqlrev/pg' })), users: 0 };
  }
  const shared = embedded;
  shared.users++;
  const release = async () => {
    if (--shared.users > 0) return;
    if (embedded === shared) embedded = undefined;
    await (await shared.server).stop();
  };
  try {
    return { url: (await shared.server).url, release };
  } catch (err) {
    shared.users--;
    if (embedded === shared) embedded = undefined;
    throw err;
  }
}

/** Connect to the configured database (starting the embedded one for `embedded`). */
export async function openSession(options: DbOptions): Promise<Session> {
  const hooks = options.hooks ?? {};
  let url = options.db;
  let server: { release(): Promise<void> } | undefined;
  if (url === 'embedded') {
    const e = await useEmbedded(hooks);
    url = e.url;
    server = e;
  }
  try {
    const conn = await connect({
      url, database: options.database, waitSeconds: options.wait,
      onNotice: (n) => hooks.notice?.(n),
      onWait: (m) => hooks.info?.(m),
    });
    if (server) conn.where = `the embedded PostgreSQL ${conn.serverVersion} in .sqlrev/pg/${options.database ? ` (database ${options.database})` : ''}`;
    hooks.debug?.(`connected to ${conn.where}: PostgreSQL ${conn.serverVersion}, user ${conn.user}, server process ${conn.pid}`);
    return {
      conn,
      url,
      stop: async () => {
        await conn.close().catch(() => undefined);
        await server?.release();
      },
    };
  } catch (err) {
    await server?.release();
    throw err;
  }
}
/** Run `fn` holding the lock; always release it and close. Server errors become SqlrevErrors. */
export async function withLockedSession<T>(options: Resolved<DbOptions>, fn: (s: Session, state: State, runner: Runner) => Promise<T>): Promise<T> {
  const hooks = options.hooks ?? {};
  const session = await openSession(options);
  // One runner for the lock wait and the statements: Ctrl-C cancels either.
  const runner = new Runner(session.conn.sql, options.schema, session.conn.cancelRunning, session.conn.quietly);
  const onAbort = () => runner.cancel(options.signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let locked = false;
  try {
    let waited: boolean;
    // The state's first query (which tables exist) goes right behind the
    // first try for the lock, in the same round trip; the rest of the state is
    // asked for only once the lock is held. When the try took the lock, the
    // probe ran under it; after a wait it is sent again. Only the probe goes
    // early: it waits for no lock, so it cannot hold up the lock wait, its
    // message, or a Ctrl-C that must cancel that wait.
    const locking = acquireLock(session.conn.sql, options.schema, options.lockTimeout ?? 300, (h) => {
      hooks.info?.(`waiting for the lock on schema "${options.schema}": ${h ? `held by ${describeHolder(h)}` : 'held by another session'}`);
    }, () => {
      if (options.signal?.aborted) throw interrupted(options.signal);
    });
    const probe = probeState(session.conn.sql, options.schema);
    probe.catch(() => undefined); // used only when the first try took the lock
    try {
      waited = await locking;
    } catch (err) {
      if (errorCode(err) === '57014' && options.signal?.aborted) throw interrupted(options.signal);
      throw err;
    }
    locked = true;
    hooks.debug?.(`took the advisory lock of state schema "${options.schema}"`);
    if (options.signal?.aborted) throw interrupted(options.signal);
    let state = await readState(session.conn.sql, options.schema, options.files, waited ? undefined : probe);
    if (state.version < LATEST_STATE_VERSION()) {
      await ensureState(session.conn.sql, options.schema, state.version, undefined, state.schemaExists);
      hooks.debug?.(`${state.version === 0 ? 'created' : 'upgraded'} state schema "${options.schema}" (version ${LATEST_STATE_VERSION()})`);
      // Just installed, under the lock: no revision can be recorded yet. An upgrade keeps rows, which are read again.
      state = state.version === 0
        ? { version: LATEST_STATE_VERSION(), rows: new Map(), schemaExists: true }
        : await readState(session.conn.sql, options.schema, options.files);
    }
    hooks.debug?.(`${state.rows.size} revision(s) recorded as applied`);
    return await fn(session, state, runner);
  } catch (err) {
    throw stateError(err, options.schema, session.conn.user);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (locked) await releaseLock(session.conn.sql, options.schema).catch(() => undefined);
    await session.stop();
  }
}

/** Run `fn` on a session without the lock (reading only); always close. */
export async function withReadSession<T>(options: Resolved<DbOptions>, fn: (s: Session, state: State) => Promise<T>): Promise<T> {
  const session = await openSession(options);
  try {
    return await fn(session, await readState(session.conn.sql, options.schema, options.files));
  } catch (err) {
    throw stateError(err, options.schema, session.conn.user);
  } finally {
    await session.stop();
  }
}

export function interrupted(signal: AbortSignal): SqlrevError {
  const code = signal.reason === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  return new SqlrevError('interrupted', code, 'interrupted; nothing was changed');
}
