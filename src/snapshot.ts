/**
 * Schema snapshot (issue 5): a canonical text description of a database's
 * schema, read from the system catalogs by the plain SQL files in
 * sql/catalog/ (one per kind of object). `migrate test` compares the
 * snapshots of a scratch database before and after a revision's up and down,
 * drift compares a live database with a scratch one, dump writes one to a
 * file: so the text is the product, and it must be byte-identical whenever
 * the schema is the same.
 *
 * What makes it so (details in the SQL files' comments):
 * - The queries run in one read-only, repeatable-read transaction, so they
 *   see one moment, with fixed settings (SETTINGS below): every name outside
 *   pg_catalog comes out schema-qualified and constants in defaults print
 *   the same whatever the caller's search_path, DateStyle or TimeZone.
 * - Nothing depends on OIDs, creation order, attribute numbers (only column
 *   order) or enum sort values (only label order); lists inside a block are
 *   ordered in SQL with collate "C", blocks are sorted here by code unit.
 * - Left out: system schemas, the caller's excluded schemas (sqlrev's state
 *   schema), objects that belong to an extension, sequence positions, and,
 *   unless asked, ownership, grants and extension versions.
 *
 * The caller owns the connection; it must not be inside a transaction.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sql } from './db.js';
import { arrayLiteral } from './quote.js';

const CATALOG_DIR = fileURLToPath(new URL('../../sql/catalog/', import.meta.url));

/** Bumped when the text changes shape, so a dumped file can tell which sqlrev wrote it. */
export const SNAPSHOT_FORMAT = 1;

export interface SnapshotObject {
  /** 'table', 'index', 'function', … (see KIND_ORDER). */
  kind: string;
  schema: string;
  /** Unquoted; `table.object` for constraints, indexes, triggers and policies; `name(argument types)` for routines. */
  name: string;
  /** The object's block: a "<kind> <qualified name>" line, then its details indented by two spaces. */
  text: string;
}

export interface Snapshot {
  objects: SnapshotObject[];
  /** The canonical rendering: a header line, then every block, separated by blank lines. */
  text: string;
}

export interface SnapshotOptions {
  /** Schemas to leave out, such as sqlrev's own state schema. */
  excludeSchemas?: string[];
  /** Add owners and grants (ACLs with defaults made explicit) to each block. */
  privileges?: boolean;
  /** Add extension versions, which differ between servers shipping different releases. */
  extensionVersions?: boolean;
}

/** The object queries, run in this order; each returns (kind, schema, name, title, body). */
const QUERIES = [
  'schemas', 'extensions', 'enums', 'domains', 'composites', 'ranges', 'sequences', 'tables',
  'constraints', 'indexes', 'views', 'functions', 'aggregates', 'triggers', 'policies',
];

/** Within a schema, blocks come in this order of kinds, then by name. */
const KIND_ORDER = [
  'schema', 'extension', 'enum type', 'domain', 'composite type', 'range type', 'sequence',
  'table', 'foreign table', 'constraint', 'index', 'view', 'materialized view',
  'function', 'procedure', 'aggregate', 'trigger', 'policy',
];

/**
 * Settings for the snapshot's transaction. search_path decides which names
 * pg_get_*def and format_type qualify; the others decide how constants stored
 * in defaults, checks and views print (a date, a timestamptz, a float, money).
 */
const SETTINGS: Record<string, string> = {
  search_path: 'pg_catalog',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '1',
  bytea_output: 'hex',
  lc_monetary: 'C',
  quote_all_identifiers: 'off',
};

interface ObjectRow {
  kind: string;
  schema: string;
  name: string;
  title: string;
  body: string | null;
}

interface PrivilegeRow {
  kind: string;
  schema: string;
  name: string;
  line: string;
}

const cache = new Map<string, string>();

/** The text of sql/catalog/<name>.sql, read once. */
export function catalogSql(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(`${CATALOG_DIR}${name}.sql`, 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** Describe the schema of the database `sql` is connected to. */
export async function snapshot(sql: Sql, options: SnapshotOptions = {}): Promise<Snapshot> {
  const exclude = [...new Set(options.excludeSchemas ?? [])].sort(compare);
  const settings: Record<string, string> = {
    ...SETTINGS,
    // Read by the SQL files with current_setting(), so each runs in psql as well.
    'sqlrev.exclude_schemas': arrayLiteral(exclude),
    'sqlrev.privileges': options.privileges ? 'on' : 'off',
    'sqlrev.extension_versions': options.extensionVersions ? 'on' : 'off',
  };
  const [objectRows, privilegeRows] = await sql.begin('isolation level repeatable read read only', async (tx) => {
    await tx.unsafe('select set_config(key, value, true) from json_each_text($1::text::json)', [JSON.stringify(settings)]);
    // Sent together: postgres.js pipelines them on the one connection.
    const results = await Promise.all(QUERIES.map((q) => tx.unsafe(catalogSql(q))));
    const privileges = options.privileges ? await tx.unsafe(catalogSql('privileges')) : [];
    return [results.flat() as unknown as ObjectRow[], [...privileges] as unknown as PrivilegeRow[]];
  });

  const extra = new Map<string, string[]>();
  for (const p of privilegeRows) {
    const lines = extra.get(key(p)) ?? [];
    lines.push(p.line);
    extra.set(key(p), lines);
  }
  const objects = objectRows.map((r): SnapshotObject => {
    const lines = r.body ? r.body.split('\n') : [];
    lines.push(...(extra.get(key(r)) ?? []).sort(compare));
    const text = [`${r.kind} ${r.title}`, ...lines.map((l) => (l === '' ? l : `  ${l}`))].join('\n');
    return { kind: r.kind, schema: r.schema, name: r.name, text };
  });
  objects.sort(compareObjects);

  const notes = [
    ...(options.privileges ? ['privileges'] : []),
    ...(options.extensionVersions ? ['extension versions'] : []),
    ...(exclude.length ? [`excluding ${exclude.map((s) => JSON.stringify(s)).join(', ')}`] : []),
  ];
  const header = `-- sqlrev schema snapshot, format ${SNAPSHOT_FORMAT}${notes.length ? `; ${notes.join('; ')}` : ''}`;
  return { objects, text: [header, ...objects.map((o) => o.text)].join('\n\n') + '\n' };
}

/** The snapshot as one JSON document (`migrate schema --json`). */
export function snapshotJson(s: Snapshot): unknown {
  return {
    format: SNAPSHOT_FORMAT,
    objects: s.objects.map(({ kind, schema, name, text }) => ({ kind, schema, name, text })),
  };
}

function key(o: { kind: string; schema: string; name: string }): string {
  return `${o.kind}\u0000${o.schema}\u0000${o.name}`;
}

/** By UTF-16 code unit, never by locale: the order must not depend on the machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

function compareObjects(a: SnapshotObject, b: SnapshotObject): number {
  return compare(a.schema, b.schema) || rank(a.kind) - rank(b.kind) || compare(a.kind, b.kind)
    || compare(a.name, b.name) || compare(a.text, b.text);
}

