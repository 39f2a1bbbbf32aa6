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

/** One file of a revision, known by its name. */
export interface Half {
  entry: FileEntry;
  /** Its position in the list of entries. */
  index: number;
  id: string;
  slug: string;
  isUp: boolean;
}

/** The up and down file of one id, as far as they were found. */
export interface Pair {
  id: string;
  up: Half | undefined;
  down: Half | undefined;
}

/**
 * The pairs, in the order revisions are made: those with an up file in the
 * order of their up files, then those with a down file only. Problems of
 * names (bad names, linked folders, duplicate ids) go to `problems`, in the
 * order of the entries. One table of pairs by id (not one per kind): half
 * the lookups, for a folder of 20,000 revisions.
 */
export function pairFiles(entries: readonly FileEntry[], problems: Problem[]): Pair[] {
  const byId = new Map<string, Pair>();
  const pairs: Pair[] = [];
  const downHalves: Half[] = [];
  const duplicated = new Set<string>();
  // Up files first, so a duplicated id is reported once, on the up files.
  for (let index = 0; index < entries.length; index++) {
    const half = classifyName(entries[index], index, problems);
    if (half === undefined) continue;
    if (!half.isUp) downHalves.push(half);
    else addHalf(half);
  }
  for (const half of downHalves) addHalf(half);

  function addHalf(half: Half): void {
    const pair = byId.get(half.id);
    if (!pair) {
      const made: Pair = half.isUp ? { id: half.id, up: half, down: undefined } : { id: half.id, up: undefined, down: half };
      byId.set(half.id, made);
      pairs.push(made);
      return;
    }
    const other = half.isUp ? pair.up : pair.down;
    if (!other) {
      pair.down = half; // the up file came first (only a down file can join a pair)
      return;
    }
    if (!half.isUp && duplicated.has(half.id)) return;
    duplicated.add(half.id);
    problems.push({
      file: half.entry.path, line: 1, revision: half.id, code: 'duplicate-id',
      message: `revision id "${half.id}" is used twice: ${other.entry.path} and ${half.entry.path}`,
      hint: 'ids must be unique in the migrations folder: rename one pair (migrate new generates unique ids)',
    });
  }

  return pairs;
}

function classifyName(entry: FileEntry, index: number, problems: Problem[]): Half | undefined {
  const filePath = entry.path;
  if (entry.linkedFolder) {
    problems.push({
      file: filePath, code: 'linked-folder',
      message: `${filePath} is a symbolic link to a folder; sqlrev does not enter linked folders, so nothing in it would run`,
      hint: 'move its migration files into the migrations folder, or remove the link',
    });
    return undefined;
  }
  const base = baseName(filePath);
  // What /^(.*)\.(up|down)\.sql$/ matches, without its match array and strings: it runs for every file.
  const isUp = base.endsWith(UP);
  const stemEnd = base.length - (isUp ? UP.length : DOWN.length);
  if ((!isUp && !base.endsWith(DOWN)) || LINE_BREAK.test(base)) {
    problems.push({
      file: filePath, code: 'bad-file-name',
      message: `${base} is not named like a migration file`,
      hint: 'name migration files <id>_<slug>.up.sql and <id>_<slug>.down.sql (migrate new writes them)',
    });
    return undefined;
  }
  // The suffix has no "_": the first one, if any, is in the stem.
  const underscore = base.indexOf('_');
  const id = base.slice(0, underscore === -1 ? stemEnd : underscore);
  const slug = underscore === -1 ? '' : base.slice(underscore + 1, stemEnd);
  if (!isToken(id)) {
    problems.push({
      file: filePath, code: 'bad-id',
      message: `"${id}" in ${base} is not a valid revision id: an id is letters and digits only, before the first "_"`,
      hint: 'rename the file, e.g. 0001_add_users.up.sql',
    });
    return undefined;
  }
  return { entry, index, id, slug, isUp };
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
