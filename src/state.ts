/**
 * sqlrev's state in the database (contract §4): installing and upgrading the
 * state schema from the plain SQL files in sql/state/, reading the applied
 * revisions, and the bookkeeping statements that record each action.
 * Bookkeeping statements carry their values as positional parameters, and
 * are sent with them written as literals (quoteLiteral: right whatever
 * standard_conforming_strings says); the schema name is a quoted identifier.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EXIT, SqlrevError, usageError } from './errors.js';
import { arrayLiteral, quoteIdent, quoteLiteral } from './quote.js';
import { errorCode, type Sql } from './db.js';
import { VERSION } from './version.js';
import type { Revision } from './types.js';

const STATE_DIR = fileURLToPath(new URL('../../sql/state/', import.meta.url));

/** A statement with positional parameters ($1, $2, …). */
export interface Statement {
  text: string;
  params: Param[];
}
export type Param = string | number | null | readonly string[];

/** What is recorded for a revision: its identity and both file texts with their checksums. */
export interface RevisionRecord {
  id: string;
  parents: readonly string[];
  message: string;
  upChecksum: string;
  downChecksum: string;
  upText: string;
  downText: string;
  upPath: string | null;
  downPath: string | null;
}

/**
 * One applied revision as stored. `upText` and `downText` are the texts as
 * applied; when the folder was given to readState and both checksums match
 * the files, they are the files' texts (the same text: the checksum is of the
 * normalised text, and the normalised text is what is stored).
 */
export interface AppliedRow extends RevisionRecord {
  parents: string[];
  appliedAt: Date;
  appliedBy: string;
  appliedHow: 'up' | 'stamp';
  durationMs: number | null;
}

export interface State {
  /** 0 when the state schema does not exist yet. */
  version: number;
  rows: Map<string, AppliedRow>;
  /** The schema exists (a DBA may have created it, empty): then installing needs no CREATE SCHEMA. */
  schemaExists: boolean;
}

/** The state-schema files shipped in sql/state/, in order: [version, text]. */
export function stateFiles(): [number, string][] {
  return stateFileNames().map((f) => [Number.parseInt(f, 10), readFileSync(STATE_DIR + f, 'utf8')]);
}

let fileNames: string[] | undefined;
function stateFileNames(): string[] {
  fileNames ??= readdirSync(STATE_DIR).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  return fileNames;
}

/** The newest state-schema version this sqlrev ships (from the file names; nothing is read). */
export const LATEST_STATE_VERSION = (): number => Math.max(...stateFileNames().map((f) => Number.parseInt(f, 10)));

/** The SQL of one state-schema file with `:"schema"` replaced by the quoted name. */
export function stateSql(text: string, schema: string): string {
  return text.split(':"schema"').join(quoteIdent(schema));
}

const q = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

/** Which parts of the state schema exist. */
export interface StateProbe {
  schema: boolean;
  meta: boolean;
  revisions: boolean;
}

/**
 * readState's first query, sent when called: which parts of the state
 * schema exist. It looks names up in the catalogs and waits for no lock on
 * the state tables, so it can go to the server before sqlrev's lock is
 * taken (session.ts sends it right behind the first try for the lock).
 */
export function probeState(sql: Sql, schema: string): Promise<StateProbe> {
  return sql.unsafe(`select to_regclass(${quoteLiteral(q(schema, 'meta'))}) is not null as meta, to_regclass(${quoteLiteral(q(schema, 'revisions'))}) is not null as revisions,
    exists (select from pg_namespace where nspname = ${quoteLiteral(schema)}) as schema`).simple()
    .then(([row]) => ({ schema: Boolean(row.schema), meta: Boolean(row.meta), revisions: Boolean(row.revisions) }));
}

/**
 * Read the installed version and the applied revisions; a missing schema
 * reads as nothing applied. Given the folder's revisions (`files`), the two
 * stored texts are read only for rows whose files are gone or whose checksums
 * differ (edits are shown as diffs of them; `down` runs the stored down text
 * of a revision whose files are gone); the others' texts are the files'. A
 * no-op `up` then reads no text at all (measured in docs/benchmarks.md).
 *
 * The rows come as one JSON document rather than thirteen columns each:
 * decoding and converting 13,000 fields cost the client more than the rest of
 * reading the state (docs/decisions.md). Statements are sent as simple
 * queries with literals: an unprepared query with parameters costs postgres.js
 * a second round trip. `probed`: probeState's answer, when it was sent
 * earlier.
 */
export async function readState(sql: Sql, schema: string, files?: ReadonlyMap<string, Revision>, probed?: Promise<StateProbe>): Promise<State> {
  const exists = await (probed ?? probeState(sql, schema));
  if (!exists.meta || !exists.revisions) return { version: 0, rows: new Map(), schemaExists: exists.schema };
  // Both sent at once (one round trip); the version is checked before the rows are used.
  const reading = installedVersion(sql, schema);
  const listing = sql.unsafe(`
    select coalesce(json_agg(json_build_array(id, parents, message, up_checksum, down_checksum, up_path, down_path,
             applied_at, applied_by, applied_how, (extract(epoch from duration) * 1000)::float8) order by applied_at, id), '[]')::text as rows
      from ${q(schema, 'revisions')}`).simple().execute();
  listing.catch(() => undefined); // awaited after the version check
  const version = await reading;
  if (version > LATEST_STATE_VERSION()) {
    throw usageError('state-too-new', `the state schema "${schema}" is version ${version}, written by a newer sqlrev; this sqlrev (${VERSION}) knows up to version ${LATEST_STATE_VERSION()}`, {
      hint: 'upgrade sqlrev before running it against this database',
    });
  }
  const [{ rows: json }] = await listing;
  const rows = new Map<string, AppliedRow>();
  const unread: string[] = [];
  for (const r of JSON.parse(String(json)) as StoredRow[]) {
    const [id, parents, message, upChecksum, downChecksum, upPath, downPath, appliedAt, appliedBy, appliedHow, durationMs] = r;
    const rev = files?.get(id);
    const same = rev !== undefined && rev.up.checksum === upChecksum && rev.down.checksum === downChecksum;
    if (!same) unread.push(id);
    rows.set(id, {
      id, parents, message, upChecksum, downChecksum,
      upText: same ? rev.up.text : '', downText: same ? rev.down.text : '',
      upPath, downPath, appliedAt: new Date(appliedAt), appliedBy, appliedHow, durationMs,
    });
  }
  if (unread.length) {
    const which = files === undefined ? '' : ` where id in (${unread.map(quoteLiteral).join(', ')})`;
    for (const t of await sql.unsafe(`select id, up_text, down_text from ${q(schema, 'revisions')}${which}`).simple()) {
      const row = rows.get(String(t.id));
      if (row) Object.assign(row, { upText: String(t.up_text), downText: String(t.down_text) });
    }
  }
  return { version, rows, schemaExists: true };
}

/** A revisions row as readState's JSON lists it. */
type StoredRow = [id: string, parents: string[], message: string, upChecksum: string, downChecksum: string, upPath: string | null, downPath: string | null,
  appliedAt: string, appliedBy: string, appliedHow: 'up' | 'stamp', durationMs: number | null];

/**
 * The SQL that brings the state schema from `current` to the latest version:
 * one script per state file, each to run in its own transaction.
 */
export function stateUpgrades(schema: string, current: number, files: [number, string][] = stateFiles(), schemaExists = false): { version: number; sql: string }[] {
  return files.filter(([v]) => v > current).map(([v, text]) => ({
    version: v,
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
    // schema exists: a role that owns a schema a DBA made for it has no such right.
    // Each file sets its own state_version, so a DBA can run the files by hand with psql.
    sql: stateSql(schemaExists ? text.replace(CREATE_SCHEMA, '') : text, schema),
  }));
}

const CREATE_SCHEMA = /^create schema if not exists :"schema";$/m;

/**
 * Install or upgrade the state schema to the latest version, one file per
 * transaction, all the files in one message (one round trip: if a file
 * fails, those before it stay committed and the rest do not run). Runs under
 * the advisory lock, so concurrent runners cannot race. `schemaExists` is
 * what readState found (asked of the server when not given).
 */
export async function ensureState(sql: Sql, schema: string, current: number, files: [number, string][] = stateFiles(), schemaExists?: boolean): Promise<number> {
  const upgrades = stateUpgrades(schema, current, files, schemaExists ?? (await probeState(sql, schema)).schema);
  if (upgrades.length === 0) return current;
  const latest = upgrades[upgrades.length - 1].version;
  try {
    await sql.unsafe(upgrades.map((u) => `begin;\n${u.sql}\ncommit;`).join('\n')).simple();
  } catch (err) {
    // The failing file's transaction is left open, aborted (the server skipped
    // the rest of the message, its COMMIT too): end it, and see which files
    // committed before it.
    await sql.unsafe('rollback').simple().catch(() => undefined);
    // Not the owner of a state schema a DBA installed: only its owner can upgrade it.
    if (current > 0 && errorCode(err) === '42501') throw upgradeRefused(schema, await installedVersion(sql, schema).catch(() => current), latest, err);
    throw err;
  }
  return latest;
}

/** The state schema's version in its meta table (sent when called). */
async function installedVersion(sql: Sql, schema: string): Promise<number> {
  const [row] = await sql.unsafe(`select value from ${q(schema, 'meta')} where key = 'state_version'`).simple();
  return Number(row?.value ?? 0);
}

function upgradeRefused(schema: string, from: number, to: number, err: unknown): SqlrevError {
  const files = stateFileNames().filter((f) => Number.parseInt(f, 10) > from).map((f) => `sql/state/${f}`);
  return new SqlrevError('state-upgrade-refused', EXIT.usage,
    `sqlrev's state schema ${quoteIdent(schema)} is at version ${from} and this sqlrev needs version ${to}, but upgrading it was refused: ${(err as Error).message}`, {
      hint: `its owner must upgrade it once: run migrate as that role, or psql -v schema=${quoteIdent(schema)} -f for ${files.join(', ')} (docs/least-privilege.md)`,
      cause: err,
    });
}

// ---------------------------------------------------------------- bookkeeping


/** Session settings a revision may change (SET search_path, SET ROLE) are reset before bookkeeping. */
export const RESET_SESSION = 'reset session authorization; reset role; reset all';

/**
 * Where the server times a revision from, inside its transaction: 'message'
 * when it is the first in its message, so now() (its transaction's start);
 * 'previous' when a revision before it in the same message (a batch) has just
 * recorded itself. The server gives every transaction of one message the
 * message's start as now(), so such a revision began when that one ended,
 * which its log row says (its start plus its duration, not before now()).
 * Only the newest log row is read (one index probe).
 */
export type ServerTiming = 'message' | 'previous';

function revisionStart(schema: string, timing: ServerTiming): string {
  return timing === 'message' ? 'now()'
    : `coalesce((select case when l.at >= now() then l.at + l.duration end from ${q(schema, 'log')} l order by l.seq desc limit 1), now())`;
}

/**
 * Record a revision run inside its own transaction, as one statement: its
 * row inserted (up) or deleted (down), and its log row, both timed by the
 * server from the same start. One statement, not two: fewer to parse, plan
 * and answer for every revision of a run.
 */
export function recordRevision(schema: string, direction: 'up' | 'down', r: RevisionRecord, timing: ServerTiming): Statement {
  const start = `with s as (select ${revisionStart(schema, timing)} as t),`;
  const log = `insert into ${q(schema, 'log')} (action, revision, client_host, tool_version, at, duration)
select '${direction}', $1, $2, '${VERSION}', s.t, clock_timestamp() - s.t from s`;
  if (direction === 'down') {
    return { text: `${start} d as (delete from ${q(schema, 'revisions')} where id = $1)\n${log}`, params: [r.id, clientHost()] };
  }
  return {
    text: `${start} r as (insert into ${q(schema, 'revisions')} (id, parents, message, up_checksum, down_checksum, up_text, down_text, up_path, down_path, applied_how, applied_at, duration)
select $1, $3::text[], $4, $5, $6, $7, $8, $9, $10, 'up', s.t, clock_timestamp() - s.t from s)
${log}`,
    params: [r.id, clientHost(), arrayLiteral(r.parents), r.message, r.upChecksum, r.downChecksum, r.upText, r.downText, r.upPath, r.downPath],
  };
}

/**
 * Record a revision without running it in a transaction of its own: `how`
 * 'up' with the duration sqlrev measured (a `-- transaction: false`
 * revision, --single-transaction), or 'stamp', which runs nothing and has no
 * duration.
 */
export function insertRevision(schema: string, r: RevisionRecord, how: 'up' | 'stamp', durationMs?: number): Statement {
  const params: Param[] = [r.id, arrayLiteral(r.parents), r.message, r.upChecksum, r.downChecksum, r.upText, r.downText, r.upPath, r.downPath];
  const timed = how === 'up' && durationMs !== undefined;
  if (timed) params.push(durationMs);
  return {
    text: `insert into ${q(schema, 'revisions')} (id, parents, message, up_checksum, down_checksum, up_text, down_text, up_path, down_path, applied_how, duration)
values ($1, $2::text[], $3, $4, $5, $6, $7, $8, $9, '${how}', ${timed ? 'make_interval(secs => $10::float8 / 1000)' : 'null'})`,
    params,
  };
}

export function deleteRevision(schema: string, id: string): Statement {
  return { text: `delete from ${q(schema, 'revisions')} where id = $1`, params: [id] };
}

export function updateChecksums(schema: string, r: RevisionRecord): Statement {
  return {
    text: `update ${q(schema, 'revisions')} set up_checksum = $2, down_checksum = $3, up_text = $4, down_text = $5, up_path = $6, down_path = $7 where id = $1`,
    params: [r.id, r.upChecksum, r.downChecksum, r.upText, r.downText, r.upPath, r.downPath],
  };
}

export type Action = 'up' | 'down' | 'stamp' | 'rehash' | 'failed' | 'started';

/** Append to the log, with a duration sqlrev measured, or none. */
export function logAction(schema: string, action: Action, revision: string | null, detail: Record<string, unknown> | null, durationMs?: number): Statement {
  const params: Param[] = [action, revision, clientHost(), detail === null ? null : JSON.stringify(detail)];
  if (durationMs !== undefined) params.push(durationMs);
  return {
    text: `insert into ${q(schema, 'log')} (action, revision, client_host, tool_version, detail, duration)
values ($1, $2, $3, '${VERSION}', $4::text::jsonb, ${durationMs === undefined ? 'null' : 'make_interval(secs => $5::float8 / 1000)'})`,
    params,
  };
}

/**
 * The server-measured durations of the latest `action` log rows of `ids`, in
 * milliseconds: read back at the end of a batch, whose revisions are timed by
 * the server (the client sees only the whole message).
 */
export function durationsOf(schema: string, action: 'up' | 'down', ids: readonly string[]): Statement {
  return {
    text: `select distinct on (revision) revision as sqlrev_revision, (extract(epoch from duration) * 1000)::float8 as sqlrev_ms
from ${q(schema, 'log')} where revision = any($1::text[]) and action = $2 order by revision, seq desc`,
    params: [ids, action],
  };
}

/** Which of `ids` are recorded as applied. */
export function recordedAmong(schema: string, ids: readonly string[]): Statement {
  return { text: `select id from ${q(schema, 'revisions')} where id = any($1::text[])`, params: [ids] };
}

// Asked once: the log records it on every row.
let host: string | undefined;
const clientHost = (): string => (host ??= hostname());

/**
 * Run a statement on the connection, its parameters written as literals: a
 * query with parameters (and no prepared statement) makes postgres.js hold
 * back the queries piped behind it, and held-back queries would run on a new
 * session if the connection were lost — outside the revision's transaction.
 */
export function send(sql: Sql, s: Statement) {
  return sql.unsafe(renderStatement(s)).simple();
}

/** The statement with its parameters written as literals, for `--sql` output that psql can run. */
export function renderStatement(s: Statement): string {
  // Quoted names and literals are skipped: a schema named `a$1` keeps its `$1`.
  return s.text.replace(/"(?:[^"]|"")*"|'(?:[^']|'')*'|\$(\d+)/g, (m, n?: string) => (n === undefined ? m : literal(s.params[Number(n) - 1]))) + ';';
}

function literal(p: Param | undefined): string {
  if (p === null || p === undefined) return 'null';
  if (typeof p === 'number') return String(p);
  if (typeof p === 'string') return quoteLiteral(p);
  return `array[${p.map(quoteLiteral).join(', ')}]`;
}
