/**
 * A migrations folder loaded and checked: its revisions, the graph they form,
 * and every problem found (files, headers, graph), each with file and line.
 */
import { readRevisions, type FileEntry, type ReadOptions, type ReadResult } from './files.js';
import { loadFolder } from './folder.js';
import { Graph } from './graph.js';
import { statSync } from 'node:fs';
import { usageError, type Problem } from './errors.js';
import type { Revision } from './types.js';

export interface Project {
  dir: string;
  revisions: ReadonlyMap<string, Revision>;
  graph: Graph;
  /** Empty when the folder is sound. */
  problems: Problem[];
  /**
   * Loaded for listing or checking only: the down files were not read
   * (readFolder's `outline`), or the texts and checksums were not kept
   * (`contents: false`). Never run or compared.
   */
  outline?: boolean;
}

/** Revisions whose files are in the folder but could not be made into revisions (each has a problem): not missing, not runnable. */
export function unbuiltRevisions(project: Project): Set<string> {
  return idsWithoutRevision(project.problems, project.revisions);
}

function idsWithoutRevision(problems: readonly Problem[], revisions: ReadonlyMap<string, Revision>): Set<string> {
  return new Set(problems.map((p) => p.revision).filter((id): id is string => id !== undefined && !revisions.has(id)));
}

/**
 * Read `dir` from disk and check it. A folder that does not exist is an error
 * (a mistyped --dir must not read as "nothing to do"), unless `allowMissing`
 * (`migrate new` creates it).
 */
export async function loadProject(dir: string, options: { allowMissing?: boolean; outline?: boolean } & ReadOptions = {}): Promise<Project> {
  if (!options.allowMissing && !isDirectory(dir)) {
    throw usageError('no-migrations-folder', `the migrations folder ${dir} does not exist`, {
      hint: 'check --dir, SQLREV_DIR or "dir" in sqlrev.json; migrate init creates the folder',
    });
  }
  const { read, entries } = await loadFolder(dir, { outline: options.outline, contents: options.contents });
  return projectFromRead(dir, read, isOutline(entries, options));
}

/**
 * Refuse an outline (down files not read, or contents not kept) where the
 * files are compared with stored or earlier ones: its empty checksums would
 * read as edits. The CLI never does this; a library caller could.
 */
export function assertFullyRead(project: Project, what: string): void {
  if (!project.outline) return;
  throw usageError('outline-project', `${what} needs every file of ${project.dir} read and kept, and this project was loaded as an outline (its down files were not read, or its texts and checksums were not kept)`, {
    hint: 'load the project without the outline option and with contents',
  });
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Check a folder given as entries (no disk access: used by tests and the library). */
export function projectFromEntries(dir: string, entries: readonly FileEntry[], options: ReadOptions = {}): Project {
  return projectFromRead(dir, readRevisions(entries, options), isOutline(entries, options));
}

function isOutline(entries: readonly FileEntry[], options: ReadOptions): boolean {
  return options.contents === false || entries.some((e) => e.unread);
}

/** The graph of the revisions read, and every problem sorted by file and line. */
function projectFromRead(dir: string, { revisions, parentLines, problems, unbuilt }: ReadResult, outline: boolean): Project {
  const byId = new Map<string, Revision>();
  for (const r of revisions) byId.set(r.id, r);
  // A revision whose files exist but could not be read (a broken header, say)
  // still counts as known, so its children do not also report an unknown parent;
  // it stands after the parents its up file gives, when it gives them (an unknown one is left out: not its problem to report).
  const broken = idsWithoutRevision(problems, byId);
  const known = (id: string) => byId.has(id) || broken.has(id);
  const placeholders = [...broken].map((id) => ({ id, parents: (unbuilt.get(id)?.parents ?? []).filter(known) }));
  const built = Graph.build(broken.size ? [...revisions, ...placeholders] : revisions);
  for (const p of built.problems) {
    const rev = p.revision === undefined ? undefined : byId.get(p.revision);
    const placed = p.revision === undefined ? undefined : unbuilt.get(p.revision);
    if (rev) {
      p.file ??= rev.up.path;
      p.line ??= parentLines.get(rev.id);
    } else if (placed) {
      p.file ??= placed.file;
      p.line ??= placed.line;
    }
    problems.push(p);
  }
  problems.sort(byLocation);
  const project: Project = { dir, revisions: byId, graph: built.graph, problems };
  if (outline) project.outline = true;
  return project;
}

function byLocation(a: Problem, b: Problem): number {
  const fa = a.file ?? '';
  const fb = b.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0);
}
