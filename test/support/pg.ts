/**
 * The integration-test harness: one PostgreSQL server per test process, one
 * fresh database per test, dropped afterwards so tests stay independent.
 *
 * Which server (printed once on stderr, without a password):
 *   SQLREV_TEST_PG=embedded  a throwaway embedded server (even if DATABASE_URL is set)
 *   DATABASE_URL             that server
 *   otherwise                a server answering on the libpq defaults (PGHOST, PGPORT,
 *                            PGUSER… or postgres@127.0.0.1:5432), else the embedded one
 *   SQLREV_TEST_PG=local     as "otherwise", but fail instead of falling back
 *
 * The embedded server is stopped and its folder deleted when the process ends
 * (src/embedded.ts hooks exit and signals); folders left by a test process
 * that was killed with SIGKILL are reaped by the next one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbedded } from '../../src/embedded.js';
import { postmasterPid } from '../../src/postmaster.js';

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, even with clients still connected; safe to call twice. */
  drop(): Promise<void>;
}

type Row = Record<string, any>;

const TEMP_PREFIX = 'sqlrev-test-pg-';

let chosen: Promise<string> | undefined;
let version: Promise<number> | undefined;
let created = 0;

/** A superuser URL for the server the tests use; chosen once per process. */
export function adminUrl(): Promise<string> {
  return (chosen ??= chooseServer());
}

export async function createDatabase(): Promise<TestDatabase> {
  const admin = await adminUrl();
  // pid and counter keep names unique across parallel test processes; the
  // random part keeps a rerun clear of leftovers from a killed one.
  const name = `sqlrev_t_${process.pid}_${++created}_${randomBytes(3).toString('hex')}`;
  await query(admin, `CREATE DATABASE "${name}"`);
  return {
    name,
    url: withDatabaseName(admin, name),
    drop: async () => {
      await query(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Runs `fn` on a fresh database and drops it afterwards, whatever `fn` does. */
export async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createDatabase();
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}

/**
 * One statement (with `$1` parameters) or, without parameters, a script of
 * several; on its own connection, closed before returning.
 */
export async function query<T extends Row = Row>(url: string, sqlText: string, params: unknown[] = []): Promise<T[]> {
  const sql = connect(url);
  try {
    const rows = await sql.unsafe<T[]>(sqlText, params as postgres.ParameterOrJSON<never>[]);
    return [...rows]; // a plain array: uvu's deep equality compares the Result's extra fields too
  } finally {
    await sql.end();
  }
}

/** The server's major version (15, 18, …). */
export function serverVersion(): Promise<number> {
  return (version ??= adminUrl()
    .then((url) => query(url, 'show server_version_num'))
    .then(([row]) => Math.floor(Number(row.server_version_num) / 10_000)));
}

/** The URL with its password hidden, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(unparsable URL)';
  }
}

// ---------------------------------------------------------------------------

function connect(url?: string, connect_timeout = 10): postgres.Sql {
  const options = { max: 1, connect_timeout, onnotice: () => {} };
  return url === undefined ? postgres(options) : postgres(url, options);
}

async function chooseServer(): Promise<string> {
  const mode = process.env.SQLREV_TEST_PG ?? '';
  if (!['', 'embedded', 'local'].includes(mode)) {
    throw new Error(`SQLREV_TEST_PG is "${mode}"; use "embedded", "local" or leave it unset`);
  }
  let url: string | undefined;
  let how: string;
  if (mode !== 'embedded' && process.env.DATABASE_URL) {
    url = process.env.DATABASE_URL;
    how = 'DATABASE_URL';
    const problem = await answers(url);
    // An explicit URL that fails is a mistake to report, not a reason to test elsewhere.
    if (problem) throw new Error(`DATABASE_URL (${redact(url)}) does not answer: ${problem}`);
  } else {
    how = 'local server';
    if (mode !== 'embedded') url = await localServer();
    if (!url && mode === 'local') throw new Error('SQLREV_TEST_PG=local, but no PostgreSQL answers on the libpq defaults or 127.0.0.1:5432');
    if (!url) {
      const started = performance.now();
      url = await embeddedServer();
      how = `embedded, started in ${Math.round(performance.now() - started)} ms`;
    }
  }
  const [row] = await query(url, 'show server_version');
  process.stderr.write(`sqlrev tests: PostgreSQL ${row.server_version} at ${redact(url)} (${how})\n`);
  return url;
}

/** null when a trivial query works within two seconds, else why not. */
async function answers(url?: string): Promise<string | null> {
  const sql = connect(url, 2);
  try {
    await sql`select 1`;
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await sql.end({ timeout: 0 });
  }
}

async function localServer(): Promise<string | undefined> {
  // What libpq would use (PG* variables), as a URL the CLI under test accepts;
  // the password stays out of it, child processes inherit PGPASSWORD.
  const o = connect().options;
  const candidates: string[] = [];
  if (!o.host[0]!.includes('/')) { // a Unix-socket directory has no URL form postgres.js reads
    candidates.push(`postgres://${encodeURIComponent(o.user)}@${o.host[0]}:${o.port[0]}/${encodeURIComponent(o.database)}`);
  }
  candidates.push('postgres://postgres@127.0.0.1:5432/postgres');
  for (const url of new Set(candidates)) {
    if ((await answers(url)) === null) return url;
  }
  return undefined;
}

async function embeddedServer(): Promise<string> {
  await reapOrphans();
  // The owner's pid in the name lets a later run tell a dead run's folder from a live one.
  const dataDir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  const server = await startEmbedded({ dataDir, persistent: false });
  return server.url;
}

/** Servers and folders of test processes that died without running their exit hooks (SIGKILL). */
async function reapOrphans(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    const owner = Number(/^sqlrev-test-pg-(\d+)-/.exec(name)?.[1]);
    if (!owner || isRunning(owner)) continue;
    const dir = join(tmpdir(), name);
    const pid = postmasterPid(dir);
    if (pid) {
      process.kill(pid, 'SIGQUIT'); // immediate shutdown: the data is thrown away anyway
      for (let i = 0; i < 100 && postmasterPid(dir); i++) await new Promise((r) => setTimeout(r, 20));
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // another user's folder: not ours to remove
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.href;
}

/** A postgres.js client (one connection, as sqlrev uses) on `url` for the span of `fn`. */
export async function withSql<T>(url: string, fn: (sql: import('../../src/db.js').Sql) => Promise<T>): Promise<T> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => undefined }) as unknown as import('../../src/db.js').Sql;
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
