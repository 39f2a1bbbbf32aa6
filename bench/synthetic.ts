/**
 * Synthetic migrations folders for the offline benchmark: `linear` (one
 * chain) and `branchy` (several branches open at once, forks, merges of two
 * and of three, ending in a single head). Deterministic: the same shape and
 * size always give the same files, so runs on different machines compare.
 * Files are written with the templates `migrate new` and `migrate merge` use,
 * plus a small SQL body, so they are parsed exactly like real ones.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { downTemplate, upTemplate } from '../src/authoring.js';
import { mulberry32 } from '../test/support/random.js'; // seeded, so folders are reproducible

export type Shape = 'linear' | 'branchy';
export const SHAPES: readonly Shape[] = ['linear', 'branchy'];

/** Bump when the generated files change, so old folders are rebuilt. */
const GENERATOR_VERSION = 1;

/** Branchy: at most this many heads open at once (keeps `history --graph` a realistic width). */
const MAX_OPEN = 8;
/** Branchy, per new revision: chance to fork a new branch, and to merge open ones. */
const P_FORK = 0.05;
const P_MERGE = 0.05;

export interface SyntheticRevision {
  id: string;
  parents: string[];
  message: string;
}

export interface FolderStats {
  revisions: number;
  merges: number;
  /** Revisions with two or more children. */
  forks: number;
  files: number;
  bytes: number;
}


/** The revisions of a folder, parents before children, each with 12 hex digits as `migrate new` makes. */
export function revisionsOf(shape: Shape, count: number, seed = 1): SyntheticRevision[] {
  const random = mulberry32(seed * 7919 + count + (shape === 'linear' ? 0 : 104729));
  const used = new Set<string>();
  const newId = (): string => {
    for (;;) {
      let id = '';
      for (let i = 0; i < 12; i++) id += Math.floor(random() * 16).toString(16);
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

  const out: SyntheticRevision[] = [];
  const parentsOf = new Map<string, string[]>();
  const add = (parents: string[], message: string): string => {
    const id = newId();
    out.push({ id, parents, message });
    parentsOf.set(id, parents);
    return id;
  };
  let open = [add([], 'create schema')];
  while (out.length < count) {
    const left = count - out.length;
    const n = out.length;
    // Close every branch before the end, so the folder has a single head, as a healthy project does.
    if (shape === 'branchy' && open.length > 1 && (left < open.length || random() < P_MERGE)) {
      const k = Math.min(open.length, open.length >= 3 && random() < 0.3 ? 3 : 2);
      const joined: string[] = [];
      for (let i = 0; i < k; i++) joined.push(open.splice(Math.floor(random() * open.length), 1)[0]);
      open.push(add(joined, `merge branches ${n}`));
    } else if (shape === 'branchy' && open.length < MAX_OPEN && left > MAX_OPEN && random() < P_FORK) {
      // A second child of the parent of an open head: a branch starting one revision back.
      const from = parentsOf.get(pick(open))![0];
      if (from === undefined) continue;
      open.push(add([from], `branch ${n} add table t${n}`));
    } else {
      const i = Math.floor(random() * open.length);
      open[i] = add([open[i]], `add table t${n}`);
    }
  }
  return out;
}

function slugOf(message: string): string {
  return message.replace(/[^a-z0-9]+/g, '_');
}

function upBody(rev: SyntheticRevision, n: number): string {
  if (rev.parents.length > 1) return '-- A merge revision joins branches; it usually holds no SQL.';
  return [
    `create table t${n} (`,
    '  id bigint generated always as identity primary key,',
    '  name text not null,',
    "  created_at timestamptz not null default now()",
    ');',
    `create index t${n}_created_at on t${n} (created_at);`,
  ].join('\n');
}

function downBody(rev: SyntheticRevision, n: number): string {
  if (rev.parents.length > 1) return '-- Nothing to undo for a merge revision that holds no SQL.';
  return `drop table t${n};`;
}

/**
 * Write the folder `root/<shape>-<count>` unless it already holds this
 * generator's output (a stamp file next to it records what was written).
 */
export function ensureFolder(root: string, shape: Shape, count: number): { dir: string; stats: FolderStats; built: boolean } {
  const dir = path.join(root, `${shape}-${count}`);
  const stampFile = `${dir}.json`;
  if (existsSync(stampFile) && existsSync(dir)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { version: number; stats: FolderStats };
    if (stamp.version === GENERATOR_VERSION) return { dir, stats: stamp.stats, built: false };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const revs = revisionsOf(shape, count);
  const children = new Map<string, number>();
  let bytes = 0;
  revs.forEach((rev, n) => {
    for (const p of rev.parents) children.set(p, (children.get(p) ?? 0) + 1);
    const stem = path.join(dir, `${rev.id}_${slugOf(rev.message)}`);
    const up = upTemplate(rev.parents, rev.message, true, upBody(rev, n));
    const down = downTemplate(rev.id, rev.message, true, downBody(rev, n));
    writeFileSync(`${stem}.up.sql`, up);
    writeFileSync(`${stem}.down.sql`, down);
    bytes += Buffer.byteLength(up) + Buffer.byteLength(down);
  });
  const stats: FolderStats = {
    revisions: revs.length,
    merges: revs.filter((r) => r.parents.length > 1).length,
    forks: [...children.values()].filter((c) => c > 1).length,
    files: 2 * revs.length,
    bytes,
  };
  writeFileSync(stampFile, JSON.stringify({ version: GENERATOR_VERSION, stats }, null, 2) + '\n');
  return { dir, stats, built: true };
}
