/**
 * From migration files to revisions. `readRevisions` is pure (paths and bytes
 * in, revisions and problems out); the disk is read in src/folder.ts.
 * Every problem names its file and line; all problems are reported at once.
 */
import path from 'node:path';
import type { Problem } from './errors.js';
import { NO_HEADER_BLOCK, type ParsedHeaders } from './headers.js';
import { prepareFile, type PreparedFile } from './prepare.js';
import { halfOf, isToken, pairFiles, type Half, type Pair } from './pairs.js';
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

export interface UnbuiltRevision {
  parents: string[];
  file: string;
  line: number;
}

export interface ReadResult {
  revisions: Revision[];
  /** Line of the `parent` header of each revision, for graph problems. */
  parentLines: Map<string, number>;
  problems: Problem[];
  /**
   * Each revision that could not be made (its down file missing or broken,
   * say) whose up file names its parents readably: those parents, the up
   * file and the line of its parent header. Where it stands in the graph,
   * though it cannot run.
   */
  unbuilt: Map<string, UnbuiltRevision>;
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

/** Turn file entries into revisions, reporting every problem found. */
export function readRevisions(entries: readonly FileEntry[], options: ReadOptions = {}): ReadResult {
  return new RevisionBuilder(entries, options).finish();
}

/**
 * readRevisions a pair at a time, while the files are being read: pairing
 * needs only the names, and each revision is made as soon as the files of
 * its pair are in (`settle`). Made early, a revision's passing objects
 * (decoded text, parsed headers) die young, and the main thread parses while
 * the reading thread still reads. The result, problems in the same order
 * included, is the same in whatever order the files come in.
 */
export class RevisionBuilder {
  private readonly contents: boolean;
  /** Problems of names (pairFiles), then of each pair in pair order (finish). */
  private readonly problems: Problem[] = [];
  private readonly pairs: Pair[];
  /** Each entry's pair, -1 for none (a bad name, say). */
  private readonly pairOf: Int32Array;
  /** Files of each pair not yet read. */
  private readonly waiting: Uint8Array;
  private readonly revisions: (Revision | undefined)[];
  /** Line of each pair's parent header, 0 until known. */
  private readonly parentLines: Int32Array;
  /** The problems of the few pairs that have any. */
  private readonly pairProblems = new Map<number, Problem[]>();
  /** For the few pairs that could not be made: their parents, when their up file gives them. */
  private readonly unbuilt = new Map<number, UnbuiltRevision>();
  private readonly scratch: Problem[] = [];
  private readonly dropBytes: boolean;
  private readonly entries: readonly FileEntry[];
  private readonly names: readonly string[] | undefined;

  /**
   * `unread`: 1 for each entry whose bytes (or read error) are still to come,
   * each to be announced with `settle`; without it every entry is complete.
   * `dropBytes`: once a pair is made into a revision, its entries' `bytes`
   * are set to undefined, for a caller that has no more use for them (so
   * they are not kept alive to the end). `names`: each entry's file name,
   * when the caller has it (the lister does), so that it is not cut from
   * each path.
   */
  constructor(
    entries: readonly FileEntry[],
    { contents = true }: ReadOptions = {},
    { unread, dropBytes = false, names }: { unread?: Uint8Array; dropBytes?: boolean; names?: readonly string[] } = {},
  ) {
    this.contents = contents;
    this.dropBytes = dropBytes;
    this.entries = entries;
    this.names = names;
    this.pairs = pairFiles(entries, this.problems, names);
    const count = this.pairs.length;
    this.pairOf = new Int32Array(entries.length).fill(-1);
    this.waiting = new Uint8Array(count);
    this.revisions = new Array(count);
    this.parentLines = new Int32Array(count);
    for (let p = 0; p < count; p++) {
      const { up, down } = this.pairs[p];
      if (up !== -1) this.track(up, p, unread);
      if (down !== -1) this.track(down, p, unread);
      if (this.waiting[p] === 0) this.build(p);
    }
  }

  /** Entry `index` now has its bytes or its read error. */
  settle(index: number): void {
    const p = this.pairOf[index];
    if (p !== -1 && --this.waiting[p] === 0) this.build(p);
  }

  /** Note which pair entry `index` belongs to, and whether that pair waits for it. */
  private track(index: number, p: number, unread: Uint8Array | undefined): void {
    this.pairOf[index] = p;
    if (unread?.[index]) this.waiting[p]++;
  }

  /** Every revision and problem, once every unread entry has been settled (each call makes the same result anew). */
  finish(): ReadResult {
    const waiting = this.waiting.findIndex((n) => n !== 0);
    if (waiting !== -1) throw new Error(`internal: revision ${this.pairs[waiting].id} finished before its files were read`);
    const revisions: Revision[] = [];
    const parentLines = new Map<string, number>();
    const problems = [...this.problems];
    const unbuilt = new Map<string, UnbuiltRevision>();
    for (let p = 0; p < this.pairs.length; p++) {
      const revision = this.revisions[p];
      if (revision) revisions.push(revision);
      if (this.parentLines[p] !== 0) parentLines.set(this.pairs[p].id, this.parentLines[p]);
      const found = this.pairProblems.get(p);
      if (found) for (const problem of found) problems.push(problem);
      const placed = this.unbuilt.get(p);
      if (placed) unbuilt.set(this.pairs[p].id, { ...placed, parents: [...placed.parents] });
    }
    return { revisions, parentLines, problems, unbuilt };
  }

  private build(p: number): void {
    // One array for every pair, copied for the few that have problems.
    const problems = this.scratch;
    if (problems.length !== 0) problems.length = 0; // setting the length is a call into the runtime, even to 0
    const pair = this.pairs[p];
    const { id } = pair;
    const up = pair.up === -1 ? undefined : halfOf(this.entries, this.names, pair, pair.up);
    const down = pair.down === -1 ? undefined : halfOf(this.entries, this.names, pair, pair.down);
    if (!up) {
      problems.push({
        file: down!.entry.path, line: 1, revision: id, code: 'missing-up-file',
        message: `revision ${id} has a down file but no up file`,
        hint: `create ${siblingPath(down!.entry.path, '.up.sql')} or remove the down file`,
      });
      const denied = accessProblem(down!);
      if (denied) problems.push(denied);
    } else if (!down) {
      problems.push({
        file: up.entry.path, line: 1, revision: id, code: 'missing-down-file',
        message: `revision ${id} has no down file`,
        hint: `create ${siblingPath(up.entry.path, '.down.sql')} (write "-- irreversible: <reason>" in it if the change cannot be undone)`,
      });
      const denied = accessProblem(up);
      if (denied) problems.push(denied);
    } else {
      if (down.slug !== up.slug) {
        problems.push({
          file: down.entry.path, line: 1, revision: id, code: 'mismatched-pair',
          message: `the files of revision ${id} have different names: ${up.entry.path} and ${down.entry.path}`,
          hint: 'give both files the same name before .up.sql / .down.sql',
        });
      }
      this.revisions[p] = buildRevision(up, down, problems, this.parentLines, p, this.contents);
      if (this.dropBytes) down.entry.bytes = undefined;
    }
    // A pair that could not be made still has a place in the graph when its up file names its parents.
    if (!this.revisions[p] && up) {
      const placed = quietParents(up, this.contents);
      if (placed) this.unbuilt.set(p, placed);
    }
    if (this.dropBytes && up) up.entry.bytes = undefined;
    if (problems.length > 0) this.pairProblems.set(p, problems.slice());
  }
}

/** Why a file's contents are not available: a link out of the folder, or a read error (none for a file an outline lists without reading). */
function accessProblem({ entry, id }: Half): Problem | undefined {
  if (entry.unread) return undefined;
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

function siblingPath(filePath: string, suffix: string): string {
  return filePath.replace(/\.(up|down)\.sql$/, suffix);
}

/** Headers whose misspellings are reported, besides `parent` (its own message, readParents). */
const UP_ONLY_KEYS = ['message', 'transaction'] as const;
const DOWN_ONLY_KEYS = ['transaction', 'irreversible'] as const;

/** The revision of a pair with both files, or undefined when a problem stops it; sets `parentLines[slot]` once the up file's headers are read. */
function buildRevision(up: Half, down: Half, problems: Problem[], parentLines: Int32Array, slot: number, contents: boolean): Revision | undefined {
  const upFile = readHalf(up, problems, contents);
  const downFile = readHalf(down, problems, contents);
  if (!upFile || !downFile) return undefined;
  const { file: upInfo, parsed: upHeaders } = upFile;
  const { file: downInfo, parsed: downHeaders } = downFile;
  for (const p of upHeaders.problems) problems.push(p);
  for (const p of downHeaders.problems) problems.push(p);

  const parents = readParents(up, upHeaders, problems);
  const parentHeader = upHeaders.headers.get('parent');
  parentLines[slot] = parentHeader?.line ?? 1;

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
  // Without contents the texts are dropped: keep no piece that would hold one alive.
  const keep = contents ? same : detach;
  return {
    id: up.id, slug: up.slug, message: keep(message), parents: contents ? parents : parents.map(detach),
    up: upInfo, down: downInfo,
    irreversible: irreversible ? keep(irreversible.value) || 'no reason given' : undefined,
  };
}

const same = (s: string): string => s;

/**
 * A copy of `s` that does not keep the text it was cut from alive. V8 makes
 * a piece of 13 characters or more (a header's value, say) a view into the
 * whole string; a revision's message kept each decoded up file alive, 5.4 MB
 * of a 20,000-revision outline that had dropped its texts (heap snapshot).
 * Joining a character forces a new string, of which the piece is then cut.
 */
function detach(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
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

/** The parents the up file gives, if it can be read and its parent header is sound; its problems are not reported (the pair's own are). */
function quietParents(up: Half, contents: boolean): UnbuiltRevision | undefined {
  const ignored: Problem[] = [];
  const file = readHalf(up, ignored, contents);
  const parents = file && ignored.length === 0 ? readParents(up, file.parsed, ignored) : undefined;
  return parents && { parents, file: up.entry.path, line: file!.parsed.headers.get('parent')?.line ?? 1 };
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
