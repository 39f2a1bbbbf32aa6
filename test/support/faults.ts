/**
 * What the fault tests check after every kill, loss or race, on a real
 * database: sqlrev's lock and backends, its log, and whether the recorded
 * state equals the real schema. Shared by test/engine-concurrency.test.ts,
 * test/faults/ and bench/soak.ts.
 */
import { lockKey } from '../../src/db.js';
import { createDatabase, query, withSql, type TestDatabase } from './pg.js';
import { until, type Migrator } from './process.js';

export const LOCK_CLASS = 0x73716c72; // "sqlr": sqlrev's first advisory-lock key
export const SCHEMA = 'sqlrev';

/** The two files of a revision whose down undoes its up. */
export function revision(id: string, parent: string, up: string, down: string, headers = ''): Record<string, string> {
  return {
    [`${id}_rev.up.sql`]: `-- parent: ${parent}\n${headers}\n${up}\n`,
    [`${id}_rev.down.sql`]: `-- down of ${id}\n${headers}\n${down}\n`,
  };
}

/** `n` revisions in a line, 0001…; revision k creates table t<k> (so applying it twice fails), `body(k)` adds work. */
export function chain(n: number, body: (k: number) => string = () => ''): Record<string, string> {
  let files: Record<string, string> = {};
  for (let k = 1; k <= n; k++) {
    const id = String(k).padStart(4, '0');
    const parent = k === 1 ? 'base' : String(k - 1).padStart(4, '0');
    files = { ...files, ...revision(id, parent, `create table t${id} (id int);\n${body(k)}`, `drop table t${id};`) };
  }
  return files;
}

export const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1).padStart(4, '0'));

export interface LogRow { seq: number; action: string; revision: string | null }
export async function logRows(url: string): Promise<LogRow[]> {
  const [exists] = await query(url, `select to_regclass('${SCHEMA}.log') is not null as ok`);
  if (!exists.ok) return [];
  return (await query(url, `select seq, action, revision from ${SCHEMA}.log order by seq`))
    .map((r) => ({ seq: Number(r.seq), action: String(r.action), revision: r.revision as string | null }));
}

export async function tableExists(url: string, name: string): Promise<boolean> {
  const [row] = await query(url, 'select to_regclass($1) is not null as ok', [`public.${name}`]);
  return Boolean(row.ok);
}

/** Sessions holding sqlrev's lock (of the default state schema) in this database. */
export async function lockHolders(url: string): Promise<number[]> {
  return lockSessions(url, true);
}

/** Sessions waiting for sqlrev's lock in this database. */
export async function lockWaiters(url: string): Promise<number[]> {
  return lockSessions(url, false);
}

async function lockSessions(url: string, granted: boolean): Promise<number[]> {
  const rows = await query(url, `
    select pid from pg_locks
     where locktype = 'advisory' and granted = $3 and classid = $1 and objid = $2 and objsubid = 2
       and database = (select oid from pg_database where datname = current_database())`, [LOCK_CLASS, lockKey(SCHEMA), granted]);
  return rows.map((r) => Number(r.pid));
}

/** Backends of sqlrev (its application_name is "sqlrev <version> on <host>") in this database. */
export async function migratorBackends(url: string): Promise<{ pid: number; state: string; query: string }[]> {
  const rows = await query(url, `
    select pid, coalesce(state, '') as state, coalesce(query, '') as query from pg_stat_activity
     where datname = current_database() and application_name like 'sqlrev %' and pid <> pg_backend_pid()`);
  return rows.map((r) => ({ pid: Number(r.pid), state: String(r.state), query: String(r.query) }));
}

/** The pid of the migrator's backend once it is really running a statement containing `text`. */
export function runningStatement(url: string, text: string, m: Migrator): Promise<number> {
  return until(`a migrator backend running "${text}"`, async () => {
    const hit = (await migratorBackends(url)).find((b) => b.state === 'active' && b.query.includes(text));
    return hit?.pid;
  }, { alive: [m] });
}

/**
 * The pid of the migrator's backend once revision `id` sleeps in pg_sleep,
 * found as a DBA would: by the application name sqlrev gives each revision's
 * transaction ("sqlrev up <id>"), which shows the running revision even when
 * it shares a message with others and the query column shows only the
 * message's first kilobyte.
 */
export function runningRevision(url: string, id: string, m: Migrator, direction: 'up' | 'down' = 'up'): Promise<number> {
  return until(`revision ${id} sleeping, under the application name "sqlrev ${direction} ${id}"`, async () => {
    const [row] = await query(url, `select pid from pg_stat_activity where datname = current_database()
      and application_name = $1 and state = 'active' and wait_event = 'PgSleep'`, [`sqlrev ${direction} ${id}`]);
    return row ? Number(row.pid) : undefined;
  }, { alive: [m] });
}

/** The pid of the migrator's backend once it sleeps in pg_sleep (wherever the test put the only sleep). */
export function sleepingBackend(url: string, m: Migrator): Promise<number> {
  return until('the migrator sleeping in pg_sleep', async () => {
    const [row] = await query(url, `select pid from pg_stat_activity where datname = current_database()
      and application_name like 'sqlrev %' and state = 'active' and wait_event = 'PgSleep'`);
    return row ? Number(row.pid) : undefined;
  }, { alive: [m] });
}

/** Every backend of the migrator is gone (a dead client's backend can outlive it briefly). */
export function backendsGone(url: string, ms = 20_000): Promise<true> {
  return until('the migrator\'s backends to end', async () => (await migratorBackends(url)).length === 0 || undefined, { ms });
}

/**
 * Replay the log in order and return the applied set it tells of, or throw at
 * the first row that breaks the story: an up of an applied revision, a down of
 * an unapplied one. `parentOf` adds: an up before its parent, a down under an
 * applied child. Rows other than up and down (failed, started) change nothing.
 */
export function replay(log: readonly LogRow[], parentOf: (id: string) => string | undefined = () => undefined): Set<string> {
  const applied = new Set<string>();
  const childOf = new Map<string, string>();
  for (const row of log) {
    const id = row.revision!;
    const parent = parentOf(id);
    if (row.action === 'up') {
      if (applied.has(id)) throw new Error(`log seq ${row.seq}: up of ${id}, already applied`);
      if (parent && !applied.has(parent)) throw new Error(`log seq ${row.seq}: up of ${id} before its parent ${parent}`);
      applied.add(id);
      if (parent) childOf.set(parent, id);
    } else if (row.action === 'down') {
      if (!applied.has(id)) throw new Error(`log seq ${row.seq}: down of ${id}, not applied`);
      const child = childOf.get(id);
      if (child && applied.has(child)) throw new Error(`log seq ${row.seq}: down of ${id} while its child ${child} is applied`);
      applied.delete(id);
    }
  }
  return applied;
}

/** The parent of revision `id` in a `chain()`. */
export const chainParent = (id: string): string | undefined => (Number(id) > 1 ? String(Number(id) - 1).padStart(4, '0') : undefined);

/**
 * The recorded state against the real schema, in one snapshot: ids recorded
 * in sqlrev.revisions, and ids whose table t<id> exists (pg_tables). One
 * repeatable-read transaction, so that a run committing between the check
 * for the state table and the reads cannot make them disagree.
 */
export async function recordedAndReal(url: string): Promise<{ recorded: string[]; real: string[] }> {
  return withSql(url, (sql) => sql.begin('isolation level repeatable read read only', async (tx) => {
    const [exists] = await tx.unsafe(`select to_regclass('${SCHEMA}.revisions') is not null as ok`);
    const recorded = exists.ok ? `array(select id from ${SCHEMA}.revisions order by id)` : `'{}'::text[]`;
    const [row] = await tx.unsafe(`select ${recorded} as recorded,
      array(select substr(tablename, 2) from pg_tables where schemaname = 'public' and tablename ~ '^t[0-9]+$' order by 1) as real`);
    return { recorded: [...(row.recorded as string[])], real: [...(row.real as string[])] };
  }));
}

/** Until the server has no backend with pid `pid` (a killed client's backend ends when the server notices). */
export function backendGone(url: string, pid: number, ms = 20_000): Promise<true> {
  return until(`backend ${pid} to end`, async () => (await query(url, 'select 1 from pg_stat_activity where pid = $1', [pid])).length === 0 || undefined, { ms });
}

/**
 * A fresh database whose backends notice a vanished client within 100 ms
 * (client_connection_check_interval, PostgreSQL 14+). Without it a backend
 * only notices a kill -9'd client when its running statement ends.
 */
export async function databaseNoticingDeadClients(): Promise<TestDatabase> {
  const db = await createDatabase();
  await query(db.url, `alter database "${db.name}" set client_connection_check_interval = 100`);
  return db;
}

/** A seeded PRNG: the same seed gives the same kill moments. */
export { mulberry32 as random } from './random.js';
