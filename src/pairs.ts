/**
 * Pairing migration files by name: which id and half each file is, and which
 * up and down file belong together. Needs the paths only, never the bytes,
 * so it runs while the files are still being read (RevisionBuilder,
 * src/files.ts). Pure.
 */
import path from 'node:path';
import type { Problem } from './errors.js';
import type { FileEntry } from './files.js';

const UP = '.up.sql';
const DOWN = '.down.sql';
/** What `.` in a regular expression does not match: a name with one is no migration name (as it was with the pattern). */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** One file of a revision, known by its name: made when its pair is built, not kept. */
export interface Half {
  entry: FileEntry;
  /** Its position in the list of entries. */
  index: number;
  id: string;
  slug: string;
}

/**
 * The up and down file of one id, as positions in the list of entries (-1
 * for a file not found). Positions, not objects per file: pairing runs
 * before anything is read, and what it keeps lives to the end of the
 * reading, copied by each garbage collection meanwhile. Pairing the 40,000
 * files of a 20,000-revision folder kept 10.4 MB with a half per file and
 * each name cut from its path, 1.8 MB like this (heap after a full collection).
 */
export interface Pair {
  id: string;
  up: number;
  down: number;
}

/**
 * The pairs, in the order revisions are made: those with an up file in the
 * order of their up files, then those with a down file only. Problems of
 * names (bad names, linked folders, duplicate ids) go to `problems`, in the
 * order of the entries. One table of pairs by id (not one per kind): half
 * the lookups, for a folder of 20,000 revisions. `names`: each entry's file
 * name, when the caller has it already (else cut from its path).
 */
export function pairFiles(entries: readonly FileEntry[], problems: Problem[], names?: readonly string[]): Pair[] {
  const byId = new Map<string, Pair>();
  const pairs: Pair[] = [];
  const downFiles: number[] = [];
  const duplicated = new Set<string>();
  // Up files first, so a duplicated id is reported once, on the up files.
  for (let index = 0; index < entries.length; index++) {
    const name = names ? names[index] : fileName(entries[index]);
    const id = classifyName(entries[index], name, problems);
    if (id === undefined) continue;
    if (name.endsWith(UP)) addFile(id, index, true);
    else downFiles.push(index);
  }
  for (const index of downFiles) addFile(idOf(names ? names[index] : fileName(entries[index])), index, false);

  function addFile(id: string, index: number, isUp: boolean): void {
    const pair = byId.get(id);
    if (!pair) {
      const made: Pair = isUp ? { id, up: index, down: -1 } : { id, up: -1, down: index };
      byId.set(id, made);
      pairs.push(made);
      return;
    }
    const other = isUp ? pair.up : pair.down;
    if (other === -1) {
      pair.down = index; // the up file came first (only a down file can join a pair)
      return;
    }
    if (!isUp && duplicated.has(id)) return;
    duplicated.add(id);
    const file = entries[index].path;
    problems.push({
      file, line: 1, revision: id, code: 'duplicate-id',
      message: `revision id "${id}" is used twice: ${entries[other].path} and ${file}`,
      hint: 'ids must be unique in the migrations folder: rename one pair (migrate new generates unique ids)',
    });
  }

  return pairs;
}

/** The half of `pair` at entry `index` (its up or its down file), for building the revision; `names` as for pairFiles. */
export function halfOf(entries: readonly FileEntry[], names: readonly string[] | undefined, pair: Pair, index: number): Half {
  const entry = entries[index];
  return { entry, index, id: pair.id, slug: slugOf(names ? names[index] : fileName(entry)) };
}

/** The id of a file whose name classifyName accepted. */
function idOf(name: string): string {
  const underscore = name.indexOf('_');
  return name.slice(0, underscore === -1 ? stemEnd(name) : underscore);
}

/** The slug of a file whose name classifyName accepted: what follows the id's "_", without the suffix. */
function slugOf(name: string): string {
  const underscore = name.indexOf('_');
  return underscore === -1 ? '' : name.slice(underscore + 1, stemEnd(name));
}

function stemEnd(name: string): number {
  return name.length - (name.endsWith(UP) ? UP.length : DOWN.length);
}

/** The entry's id when its name is a migration file's name; otherwise undefined, with the problem in `problems`. */
function classifyName(entry: FileEntry, base: string, problems: Problem[]): string | undefined {
  const filePath = entry.path;
  if (entry.linkedFolder) {
    problems.push({
      file: filePath, code: 'linked-folder',
      message: `${filePath} is a symbolic link to a folder; sqlrev does not enter linked folders, so nothing in it would run`,
      hint: 'move its migration files into the migrations folder, or remove the link',
    });
    return undefined;
  }
  // What /^(.*)\.(up|down)\.sql$/ matches, without its match array and strings: it runs for every file.
  if ((!base.endsWith(UP) && !base.endsWith(DOWN)) || LINE_BREAK.test(base)) {
    problems.push({
      file: filePath, code: 'bad-file-name',
      message: `${base} is not named like a migration file`,
      hint: 'name migration files <id>_<slug>.up.sql and <id>_<slug>.down.sql (migrate new writes them)',
    });
    return undefined;
  }
  // The suffix has no "_": the first one, if any, is in the stem.
  const id = idOf(base);
  if (!isToken(id)) {
    problems.push({
      file: filePath, code: 'bad-id',
      message: `"${id}" in ${base} is not a valid revision id: an id is letters and digits only, before the first "_"`,
      hint: 'rename the file, e.g. 0001_add_users.up.sql',
    });
    return undefined;
  }
  return id;
}

/** The file name of an entry: its path's last part. */
function fileName(entry: FileEntry): string {
  return baseName(entry.path);
}

/** path.basename, whose handling of trailing separators a listed file never needs (on POSIX). */
function baseName(filePath: string): string {
  return path.sep === '/' && !filePath.endsWith('/') ? filePath.slice(filePath.lastIndexOf('/') + 1) : path.basename(filePath);
}

/** Letters and digits (ASCII), at least one: what a revision id is, in file names, parent headers, targets and `--id`. A loop, not a regex: it runs for every file. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return false;
  }
  return true;
}
