/**
 * The connection: opening it (with --wait), mapping connection failures to
 * exit 5 without ever printing a password, and the advisory lock that makes
 * concurrent runners take turns. One connection (max: 1) carries the whole
 * command, so the session lock and the pipelined statements share it.
 */
import { hostname } from 'node:os';
import postgres from 'postgres';
import { EXIT, SqlrevError, usageError } from './errors.js';
import { VERSION } from './version.js';
import { describeTarget, redactUrl, scrub } from './redact.js';
import { quoteIdent } from './quote.js';
import { connectTimeout, hostsOf, libpqSettings, type LibpqSettings } from './libpq.js';
import { passwordFromFile, passwordGiven } from './pgpass.js';

export { describeTarget, redactUrl, scrub };

export type Sql = postgres.Sql<Record<string, never>>;

export interface Notice {
  severity: string;
  message: string;
  detail?: string;
  hint?: string;
}

export interface ConnectOptions {
  /** A URL; undefined means libpq PG* variables and defaults. */
  url?: string;
  /** Connect to this database instead of the one the URL names (scratch databases). */
  database?: string;
  /** Seconds to keep retrying while the server is not accepting connections. */
  waitSeconds?: number;
  onNotice?: (notice: Notice) => void;
  /** Called once per retry while waiting. */
  onWait?: (message: string) => void;
  connectTimeoutSeconds?: number;
}

export interface Connection {
  sql: Sql;
  /** Where we are connected, without the password. */
  where: string;
  serverVersion: number;
  user: string;
  database: string;
  /** The server process serving this connection. */
  pid: number;
  /**
   * Ask the server to cancel whatever this connection is running, through a
   * second short connection (pg_cancel_backend). Whatever statement of a
   * pipeline is running then fails, and the rest of its transaction with it.
   */
  cancelRunning(): Promise<void>;
  /** Run `fn` without showing the server's notices (a cleanup ROLLBACK may warn "no transaction in progress"). */
  quietly<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Error codes that mean "this server will never accept us as configured". */
const FATAL_CONNECT_CODES = new Set(['28P01', '28000', '3D000', '42501']);
/** Error codes and errno names that mean "not yet": retried under --wait. */
const TRANSIENT = new Set(['57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ENOTFOUND']);

/** Open the connection, retrying transient failures for up to `waitSeconds`. */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const where = describeTarget(options.url, process.env, options.database);
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  let muted = false;
  const heard: ConnectOptions = { ...options, onNotice: (n) => { if (!muted) options.onNotice?.(n); } };
  // A URL that cannot be read or a bad sslmode is a configuration error (2), found before any retry.
  const tls = libpqSettings(options.url, process.env);
  const pgpass: PgpassNote = {};
  for (let attempt = 1; ; attempt++) {
    const sql = open(heard, tls, pgpass);
    try {
      const [info] = await giveUpAfter(
        sql`select current_setting('server_version_num')::int as version, current_user as user, current_database() as database, pg_backend_pid() as pid`,
        connectTimeout(options, process.env) * 1000 * hostsOf(options.url, process.env).length + 1000,
      );
      const pid = Number(info.pid);
      return {
        sql, where, pid,
        serverVersion: Math.floor(Number(info.version) / 10000),
        user: String(info.user),
        database: String(info.database),
        cancelRunning: async () => {
          // Through the database the URL names, not a scratch database that may be being dropped.
          const other = open({ ...options, database: undefined, onNotice: undefined }, tls, {});
          try {
            await other`select pg_cancel_backend(${pid})`;
          } finally {
            await other.end({ timeout: 1 }).catch(() => undefined);
          }
        },
        quietly: async (fn) => {
          muted = true;
          try {
            return await fn();
          } finally {
            muted = false;
          }
        },
        close: () => sql.end({ timeout: 5 }),
      };
    } catch (err) {
      await sql.end({ timeout: 0 }).catch(() => undefined);
      const code = errorCode(err);
      const transient = code !== undefined && TRANSIENT.has(code) && !FATAL_CONNECT_CODES.has(code);
      if (transient && Date.now() < deadline) {
        options.onWait?.(`waiting for ${where} to accept connections (${scrub((err as Error).message, options.url)}), attempt ${attempt}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(50, deadline - Date.now()))));
        continue;
      }
      throw connectError(err, where, options, pgpass.note, typeof tls.ssl === 'object' && tls.ssl.cert !== undefined);
    }
  }
}

/**
 * `query`, or a CONNECT_TIMEOUT error once `ms` have passed. postgres.js
 * tries the hosts of a multi-host URL in turn and, when all refuse, starts
 * again without end; its connect_timeout bounds one attempt, not the whole.
 */
async function giveUpAfter<T>(query: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no server answered within ${Math.round(ms / 1000)} s`), { code: 'CONNECT_TIMEOUT' })), ms);
  });
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where the password file's password came from, or why it gave none, once the server asked for one. */
interface PgpassNote {
  note?: string;
}

function open(options: ConnectOptions, tls: LibpqSettings, pgpass: PgpassNote): Sql {
  let sql: Sql | undefined;
  const config = {
    ssl: tls.ssl,
    max: 1,
    prepare: false,
    idle_timeout: 0,
    // Never retired for age (postgres.js's default: after 30–60 min), which
    // would end the session, and its lock, in the middle of a long run.
    max_lifetime: 0,
    // A lost connection stays lost: postgres.js would otherwise open a new
    // session for the next query, holding neither sqlrev's lock nor the
    // transaction in progress (queries are refused with CONNECTION_ENDED).
    onclose: () => void sql?.end({ timeout: 0 }).catch(() => undefined),
    // A pipeline is written whole to the one connection, never held back in
    // the client's queue (which a new session would run after a loss).
    max_pipeline: Number.MAX_SAFE_INTEGER,
    // No catalog query for array types at connect (a round trip, ~15 ms here):
    // sqlrev's queries return arrays as JSON or text and pass none as parameters.
    fetch_types: false,
    connect_timeout: connectTimeout(options, process.env),
    onnotice: (n: postgres.Notice) => options.onNotice?.({ severity: String(n.severity ?? 'NOTICE'), message: String(n.message), detail: n.detail as string | undefined, hint: n.hint as string | undefined }),
    connection: { application_name: `sqlrev ${VERSION} on ${hostname()}` },
    ...(options.database ? { database: options.database } : {}),
    // `password=` in the query, else libpq's password file, read only when
    // the server asks for a password that was not given.
    ...(tls.password !== undefined ? { pass: tls.password } : passwordGiven(options.url, process.env) ? {} : {
      pass: () => {
        // Never throws: postgres.js calls this from its authentication handler, without catching.
        try {
          const answer = passwordFromFile((sql as unknown as { options: Parameters<typeof passwordFromFile>[0] }).options, process.env, tls.passfile);
          pgpass.note = answer.note;
          return answer.password;
        } catch (err) {
          pgpass.note = `the password file could not be read: ${(err as Error).message}`;
          return '';
        }
      },
    }),
  } as const;
  try {
    sql = (tls.url ? postgres(tls.url, config) : postgres(config)) as unknown as Sql;
    return sql;
  } catch (err) {
    // postgres.js reads the URL at once: a bad one is a configuration error, not a failed connection.
    const what = options.url ? `the database URL ${redactUrl(options.url)}` : 'the PG* variables';
    throw usageError('bad-url', `${what} cannot be used: ${scrub((err as Error).message, options.url)}`, {
      hint: 'the form is postgres://user:password@host:port/database?sslmode=require (percent-encode special characters in the password)',
    });
  }
}

export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errno?: unknown };
  return typeof e?.code === 'string' ? e.code : undefined;
}

/** Whether `code` is an SQLSTATE, so the error is the server's own (not a lost connection or another client-side failure). */
export function isServerCode(code: string | undefined): boolean {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function connectError(err: unknown, where: string, options: ConnectOptions, pgpassNote?: string, clientCert = false): SqlrevError {
  const code = errorCode(err);
  const raw = scrub(err instanceof Error ? err.message : String(err), options.url);
  const hints: Record<string, string> = {
    '28P01': `check the user name and password (the password itself is never printed)${pgpassNote ? `; ${pgpassNote}` : ''}`,
    '28000': 'the server refused this user: check pg_hba.conf and the user name',
    '3D000': 'create the database first (createdb), or fix the database name in the URL',
    ECONNREFUSED: 'is the server running and listening there? In a container start-up, add --wait 60',
    ENOTFOUND: 'check the host name',
    CONNECT_TIMEOUT: 'the server did not answer in time; check the host, port and firewall, or add --wait',
  };
  if (code === '28000' && /certificate/i.test(raw)) hints[code] = 'give a client certificate: sslcert=FILE&sslkey=FILE in the URL (or PGSSLCERT and PGSSLKEY), or ~/.postgresql/postgresql.crt and .key with sslmode=require or verify-*';
  // Node's TLS errors: the certificate did not pass sslmode=verify-ca/verify-full, or the server broke off TLS.
  if (code && /CERT|SELF_SIGNED|ISSUER|ALTNAME/.test(code)) hints[code] = 'the server\'s certificate was not verified: give its CA certificate with sslrootcert=FILE in the URL (or PGSSLROOTCERT), or use sslmode=require to encrypt without verifying';
  if (code === 'ECONNRESET' && /TLS/.test(raw)) {
    hints[code] = clientCert
      ? 'the server broke off the TLS handshake: does it have ssl = on? A client certificate makes sqlrev require TLS whatever the sslmode (it cannot offer one and fall back); for a server without TLS, drop sslcert/PGSSLCERT'
      : 'the server broke off the TLS handshake: does it have ssl = on? With sslmode=prefer sqlrev connects without TLS when the server offers none';
  }
  return new SqlrevError('cannot-connect', EXIT.connect, `cannot connect to ${where}: ${raw}${code && !raw.includes(code) ? ` (${code})` : ''}`, {
    hint: (code && hints[code]) ?? 'check --db, DATABASE_URL or the PG* variables',
  });
}

/** Errno names and driver codes that mean the connection is gone. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

/**
 * A server or connection error met outside a revision's SQL (reading or
 * writing sqlrev's state, taking the lock) as a SqlrevError: lost connection
 * → exit 5, missing privileges → exit 2 with what a DBA should run, anything else → 1.
 */
export function stateError(err: unknown, schema: string, user?: string): SqlrevError {
  if (err instanceof SqlrevError) return err;
  const e = err as { message?: string; detail?: string; hint?: string };
  const code = errorCode(err);
  const message = `${e.message ?? String(err)}${code ? ` (SQLSTATE ${code})` : ''}${e.detail ? `\ndetail: ${e.detail}` : ''}`;
  if (code && CONNECTION_LOST.has(code)) {
    return new SqlrevError('connection-lost', EXIT.connect, `the connection to the server was lost: ${message}`, {
      hint: 'nothing half-done was recorded: each revision commits with its bookkeeping or not at all; run the command again', cause: err,
    });
  }
  if (code === '42501') {
    const [s, role] = [quoteIdent(schema), user === undefined ? '<role>' : quoteIdent(user)];
    // "for database": creating the state schema needs CREATE on the database.
    const hint = /for database/.test(e.message ?? '')
      ? `the state schema does not exist and this role may not create it; a DBA can run: create schema ${s} authorization ${role}; (docs/least-privilege.md)`
      : `${role} needs USAGE on schema ${s} and SELECT, INSERT, UPDATE, DELETE on its tables, or (simplest) to own the schema and its tables (docs/least-privilege.md)`;
    return new SqlrevError('permission-denied', EXIT.usage, `sqlrev's state schema "${schema}" cannot be used: ${message}`, { hint, cause: err });
  }
  return new SqlrevError('server-error', EXIT.sqlFailed, `the server refused sqlrev's own statement: ${message}`, { hint: e.hint, cause: err });
}

// ---------------------------------------------------------------- the lock

/** First key of sqlrev's advisory locks: the bytes of "sqlr" as an int4. */
const LOCK_CLASS = 0x73716c72;

/** Second key: a 31-bit FNV-1a hash of the state schema's name, so each state schema has its own lock. */
export function lockKey(schema: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(schema, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

export interface LockHolder {
  pid: number;
  application: string;
  client: string;
  user: string;
  since: Date | null;
  state: string;
}

/** Who holds the lock of `schema`, if anyone. */
export async function lockHolder(sql: Sql, schema: string): Promise<LockHolder | undefined> {
  const rows = await sql`
    select a.pid, coalesce(a.application_name, '') as application,
           coalesce(host(a.client_addr), 'local socket') as client,
           coalesce(a.usename, '') as "user", coalesce(a.xact_start, a.backend_start) as since,
           coalesce(a.state, '') as state
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.classid = ${LOCK_CLASS} and l.objid = ${lockKey(schema)}
       and l.objsubid = 2 and l.database = (select oid from pg_database where datname = current_database())
     limit 1`;
  const r = rows[0];
  if (!r) return undefined;
  return { pid: Number(r.pid), application: String(r.application), client: String(r.client), user: String(r.user), since: r.since as Date | null, state: String(r.state) };
}

export function describeHolder(h: LockHolder): string {
  const since = h.since ? ` since ${h.since.toISOString()}` : '';
  return `pid ${h.pid} (${h.application || 'no application name'}, user ${h.user}, client ${h.client}${since})`;
}

/**
 * Take the session advisory lock of `schema`, waiting up to `timeoutSeconds`;
 * resolves to whether it had to wait. `onWait` hears who holds it before the
 * wait starts; `beforeWait` runs right before the waiting query is sent and
 * may throw to give up (a Ctrl-C that came while no query was running, which
 * a cancel request cannot reach).
 */
export async function acquireLock(sql: Sql, schema: string, timeoutSeconds: number, onWait: (holder: LockHolder | undefined) => void, beforeWait?: () => void): Promise<boolean> {
  const key = lockKey(schema);
  // Integers written into the text: a query with parameters costs postgres.js a second round trip.
  const [first] = await sql.unsafe(`select pg_try_advisory_lock(${LOCK_CLASS}, ${key}) as ok`).simple();
  if (first.ok) return false;
  onWait(await lockHolder(sql, schema));
  const ms = Math.max(1, Math.round(timeoutSeconds * 1000));
  try {
    // The wait happens in the server, so Ctrl-C (a cancel request) interrupts it.
    await sql.unsafe(`set lock_timeout = ${ms}`).simple();
    beforeWait?.();
    await sql.unsafe(`select pg_advisory_lock(${LOCK_CLASS}, ${key})`).simple();
    return true;
  } catch (err) {
    if (errorCode(err) === '55P03') {
      const holder = await lockHolder(sql, schema).catch(() => undefined);
      throw new SqlrevError('lock-timeout', EXIT.lock, `could not take sqlrev's lock on schema "${schema}" within ${timeoutSeconds} s${holder ? `: held by ${describeHolder(holder)}` : ''}`, {
        hint: 'another migration is running; wait for it, raise --lock-timeout, or ask the holder (pg_terminate_backend as a last resort)',
      });
    }
    throw err;
  } finally {
    await sql.unsafe('reset lock_timeout').simple().catch(() => undefined);
  }
}

export async function releaseLock(sql: Sql, schema: string): Promise<void> {
  await sql.unsafe(`select pg_advisory_unlock(${LOCK_CLASS}, ${lockKey(schema)})`).simple();
}
