/**
 * Reading where a database stands, without the lock and without changing
 * anything: `status`, `show`, history's marks and `verify`'s database part.
 */
import { lockHolder, type LockHolder } from './db.js';
import type { Problem } from './errors.js';
import { checkApplied } from './plan.js';
import { assertFullyRead, loadProject, unbuiltRevisions, type Project } from './project.js';
import type { AppliedRow } from './state.js';
import { currentHeads } from './target.js';
import { compareApplied, driftProblems, type Edit } from './verify.js';
import { graphWithState } from './checks.js';
import type { Graph } from './graph.js';
import { withDefaults, withReadSession, type DbOptions } from './session.js';

// ---------------------------------------------------------------- status and show

export interface StatusResult {
  database?: string;
  connected: boolean;
  revisions: number;
  heads: string[];
  current: string[];
  applied: number;
  pending: string[];
  edited: { revision: string; which: 'up' | 'down'; file: string; diff: string }[];
  missing: string[];
  problems: Problem[];
  lock?: { held: boolean; holder?: LockHolder };
}

/** Where the database stands. Without a configured database, only the folder part. */
export async function status(given: DbOptions & { offline?: boolean }): Promise<StatusResult> {
  const options = withDefaults(given);
  const project = await loadProject(options.dir);
  const base: StatusResult = {
    connected: false, revisions: project.graph.size, heads: [...project.graph.heads], current: [], applied: 0,
    pending: [...project.graph.order], edited: [], missing: [], problems: project.problems,
  };
  if (options.offline) return base;
  return withReadSession({ ...options, files: project.revisions }, async (session, state) => {
    const graph = graphWithState(project, state.rows);
    const applied = new Set(state.rows.keys());
    const drift = compareApplied(state.rows.values(), project.revisions, unbuiltRevisions(project));
    const holder = await lockHolder(session.conn.sql, options.schema);
    return {
      ...base,
      database: session.conn.where,
      connected: true,
      current: currentHeads(graph, applied),
      applied: applied.size,
      pending: graph.order.filter((id) => !applied.has(id)),
      edited: drift.edited.map((e) => ({ revision: e.revision, which: e.which, file: e.file, diff: e.diff })),
      missing: drift.missing,
      problems: [...project.problems, ...checkApplied(graph, applied), ...driftProblems(drift, state.rows)],
      lock: { held: Boolean(holder), holder },
    };
  });
}

/** What history shows from the database. */
export interface AppliedView {
  applied: Set<string>;
  current: string[];
  database: string;
  /** The files' graph joined with the applied revisions whose files are gone (their parents as stored). */
  graph: Graph;
  /** The stored message of each applied revision without a revision in the files (its files gone, or unreadable). */
  gone: Map<string, string>;
  /** Applied revisions whose files were edited since. */
  edited: Set<string>;
  /** Edited applied files and applied revisions whose files are gone, as verify reports them. */
  problems: Problem[];
}

/** The applied revisions and the current heads, for history's marks. */
export async function readApplied(given: DbOptions, project: Project): Promise<AppliedView> {
  const options = withDefaults(given);
  return withReadSession({ ...options, files: project.revisions }, async (session, state) => {
    const applied = new Set(state.rows.keys());
    const graph = graphWithState(project, state.rows);
    const gone = new Map([...state.rows.values()].filter((r) => !project.revisions.has(r.id)).map((r) => [r.id, r.message]));
    const drift = compareApplied(state.rows.values(), project.revisions, unbuiltRevisions(project));
    const edited = new Set(drift.edited.map((e) => e.revision));
    return { applied, current: currentHeads(graph, applied), database: session.conn.where, graph, gone, edited, problems: driftProblems(drift, state.rows) };
  });
}

export interface ShowResult {
  id: string;
  message: string;
  parents: readonly string[];
  children: readonly string[];
  head: boolean;
  files: { up: string; down: string } | null;
  checksums: { up: string; down: string } | null;
  irreversible?: string;
  transactional: { up: boolean; down: boolean } | null;
  applied?: { at: string; by: string; how: string; durationMs: number | null; checksums: { up: string; down: string } } | null;
  edits: { which: 'up' | 'down'; diff: string }[];
}

export async function show(given: DbOptions & { revision: string; offline?: boolean }): Promise<ShowResult> {
  const options = withDefaults(given);
  const project = await loadProject(options.dir);
  const rows = options.offline ? new Map<string, AppliedRow>() : await withReadSession({ ...options, files: project.revisions }, async (_, state) => state.rows);
  const graph = graphWithState(project, rows);
  const id = graph.resolve(options.revision);
  const rev = project.revisions.get(id);
  const row = rows.get(id);
  const drift = row ? compareApplied([row], project.revisions, unbuiltRevisions(project)) : { edited: [], missing: [] };
  return {
    id,
    message: rev?.message ?? row?.message ?? '',
    parents: graph.parents(id),
    children: graph.children(id),
    head: graph.heads.includes(id),
    files: rev ? { up: rev.up.path, down: rev.down.path } : null,
    checksums: rev ? { up: rev.up.checksum, down: rev.down.checksum } : null,
    irreversible: rev?.irreversible,
    transactional: rev ? { up: rev.up.transactional, down: rev.down.transactional } : null,
    applied: options.offline ? undefined : row ? {
      at: row.appliedAt.toISOString(), by: row.appliedBy, how: row.appliedHow, durationMs: row.durationMs,
      checksums: { up: row.upChecksum, down: row.downChecksum },
    } : null,
    edits: drift.edited.map((e) => ({ which: e.which, diff: e.diff })),
  };
}

/** verify's database part: checksums of applied revisions, missing files, a closed applied set. */
export async function verifyDatabase(given: DbOptions, project: Project): Promise<{ problems: Problem[]; applied: number; database: string; edits: Edit[] }> {
  assertFullyRead(project, 'verify');
  const options = withDefaults(given);
  return withReadSession({ ...options, files: project.revisions }, async (session, state) => {
    const graph = graphWithState(project, state.rows);
    const drift = compareApplied(state.rows.values(), project.revisions, unbuiltRevisions(project));
    return {
      problems: [...checkApplied(graph, state.rows.keys()), ...driftProblems(drift, state.rows)],
      applied: state.rows.size,
      database: session.conn.where,
      edits: drift.edited,
    };
  });
}

