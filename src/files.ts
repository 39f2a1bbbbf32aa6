/**
 * From migration files to revisions. `readRevisions` is pure (paths and bytes
 * in, revisions and problems out); the disk is read in src/folder.ts.
 * Every problem names its file and line; all problems are reported at once.
 */
import path from 'node:path';
import type { Problem } from './errors.js';
import { NO_HEADER_BLOCK, type ParsedHeaders } from './headers.js';
import { prepareFile, type PreparedFile } from './prepare.js';
import type { Revision } from './types.js';

export interface FileEntry {
  /** Path shown to users (the folder joined with the relative path). */
  path: string;
  /** File contents, or the reason it could not be read. */
  bytes?: Uint8Array;
  readError?: string;
  /** Set for a symbolic link that resolves outside the folder: where it points. Such a file is never read. */
  outside?: string;
  /** Set for a symbolic link to a folder, which is not entered. */
  linkedFolder?: boolean;
  /** A down file listed but not read (an outline: see readFolder). */
  unread?: boolean;
}

export interface ReadResult {
  revisions: Revision[];
  /** Line of the `parent` header of each revision, for graph problems. */
  parentLines: Map<string, number>;
  problems: Problem[];
}

const MIGRATION_NAME = /^(.*)\.(up|down)\.sql$/;

interface Half {
  entry: FileEntry;
  id: string;
  slug: string;
  isUp: boolean;
}

/** How much of each file to keep (see readRevisions). */
export interface ReadOptions {
  /**
   * false: check every file as usual, but keep neither its text nor its
   * checksum (both ''), for commands that only list or check: hashing and
   * holding every text cost `verify` of 20,000 revisions about a tenth of
   * its time. Such revisions cannot be run or compared (Project.outline).
   */
  contents?: boolean;
}

/** The up and down file of one id, as far as they were found. */
interface Pair {
  up?: Half;
  down?: Half;
}

/** Turn file entries into revisions, reporting every problem found. */
export function readRevisions(entries: readonly FileEntry[], { contents = true }: ReadOptions = {}): ReadResult {
  const problems: Problem[] = [];
  // Two functions, one loop each, rather than one: V8 optimises each loop on its own
  // (20,000 revisions, cold: 202-213 ms before, 191-205 ms after).
  const pairs = pairFiles(entries, problems);
  return { ...pairsToRevisions(pairs, problems, contents), problems };
}

/**
 * The files' halves by id. One table of pairs (not one per kind): half the
 * lookups, for a folder of 20,000 revisions.
 */
function pairFiles(entries: readonly FileEntry[], problems: Problem[]): Map<string, Pair> {
  const pairs = new Map<string, Pair>();
  const downHalves: Half[] = [];
  const duplicated = new Set<string>();
  // Up files first, so a duplicated id is reported once, on the up files.
  for (const entry of entries) {
    const half = classifyName(entry, problems);
    if (half === undefined) continue;
    if (!half.isUp) downHalves.push(half);
    else addHalf(half);
  }
  for (const half of downHalves) addHalf(half);

  function addHalf(half: Half): void {
    const pair = pairs.get(half.id);
    if (!pair) {
      pairs.set(half.id, half.isUp ? { up: half, down: undefined } : { up: undefined, down: half });
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

function pairsToRevisions(pairs: ReadonlyMap<string, Pair>, problems: Problem[], contents: boolean): Omit<ReadResult, 'problems'> {
  const revisions: Revision[] = [];
  const parentLines = new Map<string, number>();
  // Pairs with an up file were made first, in the order of the up files; then those with a down file only.
  for (const [id, { up, down }] of pairs) {
    if (!up) {
      problems.push({
        file: down!.entry.path, line: 1, revision: id, code: 'missing-up-file',
        message: `revision ${id} has a down file but no up file`,
        hint: `create ${siblingPath(down!.entry.path, '.up.sql')} or remove the down file`,
      });
      const denied = accessProblem(down!);
      if (denied) problems.push(denied);
      continue;
    }
    if (!down) {
      problems.push({
        file: up.entry.path, line: 1, revision: id, code: 'missing-down-file',
        message: `revision ${id} has no down file`,
        hint: `create ${siblingPath(up.entry.path, '.down.sql')} (write "-- irreversible: <reason>" in it if the change cannot be undone)`,
      });
      const denied = accessProblem(up);
      if (denied) problems.push(denied);
      continue;
    }
    if (down.slug !== up.slug) {
      problems.push({
        file: down.entry.path, line: 1, revision: id, code: 'mismatched-pair',
        message: `the files of revision ${id} have different names: ${up.entry.path} and ${down.entry.path}`,
        hint: 'give both files the same name before .up.sql / .down.sql',
      });
    }
    const revision = buildRevision(up, down, problems, parentLines, contents);
    if (revision) revisions.push(revision);
  }
  return { revisions, parentLines };
}

/** Why a file's contents are not available: a link out of the folder, or a read error. */
function accessProblem({ entry, id }: Half): Problem | undefined {
  if (entry.outside !== undefined) {
    return {
      file: entry.path, code: 'outside-folder', revision: id,
      message: `${entry.path} is a symbolic link to ${entry.outside}, outside the migrations folder; sqlrev does not read it`,
      hint: 'copy the file into the migrations folder (a link could run any file the migrator can read, and change without a trace in the folder)',
    };
  }
  if (entry.readError !== undefined || entry.bytes === undefined) {
    return {
      file: entry.path, revision: id, code: 'unreadable-file',
      message: `cannot read ${entry.path}: ${entry.readError ?? 'no contents'}`,
      hint: 'check the file permissions (a broken symbolic link cannot be read either)',
    };
  }
  return undefined;
}

function classifyName(entry: FileEntry, problems: Problem[]): Half | undefined {
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
  const m = MIGRATION_NAME.exec(base);
  if (!m) {
    problems.push({
      file: filePath, code: 'bad-file-name',
      message: `${base} is not named like a migration file`,
      hint: 'name migration files <id>_<slug>.up.sql and <id>_<slug>.down.sql (migrate new writes them)',
    });
    return undefined;
  }
  const stem = m[1];
  const underscore = stem.indexOf('_');
  const id = underscore === -1 ? stem : stem.slice(0, underscore);
  const slug = underscore === -1 ? '' : stem.slice(underscore + 1);
  if (!isToken(id)) {
    problems.push({
      file: filePath, code: 'bad-id',
      message: `"${id}" in ${base} is not a valid revision id: an id is letters and digits only, before the first "_"`,
      hint: 'rename the file, e.g. 0001_add_users.up.sql',
    });
    return undefined;
  }
  return { entry, id, slug, isUp: m[2] === 'up' };
}

/** path.basename, whose handling of trailing separators a listed file never needs (on POSIX). */
function baseName(filePath: string): string {
  return path.sep === '/' && !filePath.endsWith('/') ? filePath.slice(filePath.lastIndexOf('/') + 1) : path.basename(filePath);
}

/** Letters and digits (ASCII), at least one: a revision id or parent token. A loop, not a regex: it runs for every file. */
function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return false;
  }
  return true;
}

function siblingPath(filePath: string, suffix: string): string {
  return filePath.replace(/\.(up|down)\.sql$/, suffix);
}

/** Headers whose misspellings are reported, besides `parent` (its own message, readParents). */
const UP_ONLY_KEYS = ['message', 'transaction'] as const;
const DOWN_ONLY_KEYS = ['transaction', 'irreversible'] as const;

function buildRevision(up: Half, down: Half, problems: Problem[], parentLines: Map<string, number>, contents: boolean): Revision | undefined {
  const upFile = readHalf(up, problems, contents);
  const downFile = readHalf(down, problems, contents);
  if (!upFile || !downFile) return undefined;
  const { file: upInfo, parsed: upHeaders } = upFile;
  const { file: downInfo, parsed: downHeaders } = downFile;
  for (const p of upHeaders.problems) problems.push(p);
  for (const p of downHeaders.problems) problems.push(p);

  const parents = readParents(up, upHeaders, problems);
  const parentHeader = upHeaders.headers.get('parent');
  parentLines.set(up.id, parentHeader?.line ?? 1);

  misplaced(up.entry.path, up.id, upHeaders, 'irreversible', 'the down file', problems);
  misplaced(down.entry.path, down.id, downHeaders, 'parent', 'the up file', problems);
  reportNearMisses(up, upHeaders, UP_ONLY_KEYS, problems);
  reportNearMisses(down, downHeaders, DOWN_ONLY_KEYS, problems);

  const irreversible = downHeaders.headers.get('irreversible');
  if (irreversible && irreversible.value === '') {
    problems.push({
      file: down.entry.path, line: irreversible.line, revision: down.id, code: 'bad-header',
      message: 'the irreversible header needs a reason',
      hint: 'write e.g. "-- irreversible: drops the legacy column and its data"',
    });
  }
  const message = upHeaders.headers.get('message')?.value || up.slug.replace(/_/g, ' ');
  if (!parents) return undefined;
  return {
    id: up.id, slug: up.slug, message, parents,
    up: upInfo, down: downInfo,
    irreversible: irreversible ? irreversible.value || 'no reason given' : undefined,
  };
}

function readHalf(half: Half, problems: Problem[], contents: boolean): Required<PreparedFile> | undefined {
  const { entry } = half;
  if (entry.unread) return { file: { path: entry.path, text: '', checksum: '', transactional: true, bodyLine: 1 }, parsed: NO_HEADER_BLOCK, problems: [] };
  const denied = accessProblem(half);
  if (denied || entry.bytes === undefined) {
    if (denied) problems.push(denied);
    return undefined;
  }
  const prepared = prepareFile(entry.path, entry.bytes, contents);
  for (const { file, line, ...rest } of prepared.problems) problems.push({ file, line, revision: half.id, ...rest });
  if (!prepared.file || !prepared.parsed) return undefined;
  for (const p of prepared.parsed.problems) p.revision = half.id;
  return prepared as Required<PreparedFile>;
}


function readParents(up: Half, parsed: ParsedHeaders, problems: Problem[]): string[] | undefined {
  const header = parsed.headers.get('parent');
  const file = up.entry.path;
  if (!header) {
    const miss = parsed.nearMisses.get('parent');
    problems.push({
      file, line: miss?.line ?? 1, revision: up.id, code: 'missing-parent-header',
      message: miss
        ? `no "-- parent:" header: line ${miss.line} says "${miss.written}:", which is not a header sqlrev knows`
        : `no "-- parent:" header in ${path.basename(file)}`,
      hint: miss
        ? `did you mean "-- parent:"? Rename "${miss.written}" to "parent"`
        : 'add "-- parent: <id>" (or "-- parent: base" for a first revision) before the first SQL line',
    });
    return undefined;
  }
  // One id (most revisions) needs no regex split and no further check; the value is trimmed already.
  if (header.value !== 'base' && isToken(header.value)) return [header.value];
  const tokens = header.value.split(/[\s,]+/).filter(Boolean);
  const bad = tokens.filter((t) => !isToken(t));
  if (tokens.length === 0 || bad.length > 0) {
    problems.push({
      file, line: header.line, revision: up.id, code: 'bad-header',
      message: tokens.length === 0
        ? 'the parent header is empty'
        : `the parent header has ${bad.map((b) => `"${b}"`).join(', ')}, which is not a revision id`,
      hint: 'write "-- parent: base", "-- parent: <id>" or "-- parent: <id> <id>" for a merge',
    });
    return undefined;
  }
  if (tokens.includes('base')) {
    if (tokens.length > 1) {
      problems.push({
        file, line: header.line, revision: up.id, code: 'bad-header',
        message: '"base" cannot be listed with other parents',
        hint: 'a revision either starts the history ("-- parent: base") or follows other revisions',
      });
      return undefined;
    }
    return [];
  }
  return tokens;
}

function misplaced(file: string, id: string, parsed: ParsedHeaders, key: 'parent' | 'irreversible', belongs: string, problems: Problem[]): void {
  const header = parsed.headers.get(key);
  if (!header) return;
  problems.push({
    file, line: header.line, revision: id, code: 'misplaced-header',
    message: `the ${key} header belongs in ${belongs}`,
    hint: `move "-- ${key}: ${header.value}" to ${belongs}`,
  });
}

function reportNearMisses(half: Half, parsed: ParsedHeaders, keys: readonly ('message' | 'transaction' | 'irreversible')[], problems: Problem[]): void {
  for (const key of keys) {
    const miss = parsed.nearMisses.get(key);
    if (!miss || parsed.headers.has(key)) continue;
    problems.push({
      file: half.entry.path, line: miss.line, revision: half.id, code: 'misspelled-header',
      message: `"${miss.written}:" looks like a misspelled "${key}:" header, so it is ignored`,
      hint: `write "-- ${key}:"`,
    });
  }
}
