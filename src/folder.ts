/**
 * The disk side of loading a migrations folder: listing its `.sql` files
 * and reading them (readFiles, src/read.ts). readRevisions (src/files.ts)
 * turns the entries into revisions, without touching the disk.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { RevisionBuilder, type FileEntry, type ReadOptions, type ReadResult } from './files.js';
import { readFiles, SharedReading, shortReadsEndUnder, startReadingThread, type ReadOutcome, type ReadStats } from './read.js';

/**
 * List and read every `.sql` file under `dir` (recursively), sorted by path.
 * With `outline`, down files are listed but not read (`unread`): enough for
 * `history`, which shows the up files' headers, in half the reads. Their
 * revisions have an empty down text and checksum, and their problems are
 * not found: an outline is for listing, never for running or verifying.
 *
 * Read synchronously, on this thread and for long lists one worker thread
 * too (readFiles, src/read.ts). Measured on
 * 200,000 small files (bench/, docs/benchmarks.md): a readFileSync loop
 * takes 1.4–2.5 s; fs/promises readFile, 32 at a time, 14–17 s; all at once
 * fails with EMFILE (too many open files) past the descriptor limit, which
 * made every revision past it look unreadable.
 */
export async function readFolder(dir: string, { outline = false }: { outline?: boolean } = {}): Promise<FileEntry[]> {
  return readEntries(dir, { outline });
}

/**
 * readFolder, and with `contents: false` (for tests and benchmarks of
 * loadFolder's reading) files are read with one read fewer each where that
 * is safe (see loadFolder).
 */
export async function readEntries(
  dir: string,
  { outline = false, contents = true, stats }: { outline?: boolean; stats?: ReadStats } & ReadOptions = {},
): Promise<FileEntry[]> {
  const listed = listEntries(dir, outline);
  const read = await readFiles(listed.toRead.map((i) => listed.entries[i].path), { shortReadIsEnd: shortReadIsEnd(dir, listed, contents), stats });
  listed.toRead.forEach((index, k) => fill(listed.entries[index], read[k]));
  return listed.entries;
}

/**
 * List, read and check the folder (readRevisions of readFolder), each pair
 * of files made into a revision as soon as both are read, while the reading
 * goes on (RevisionBuilder). For loadProject. With `contents: false` (the
 * project is then an outline: the bytes are checked, never kept as texts,
 * hashed or run) files are read with one read fewer each where that is safe:
 * every listed file regular and `shortReadsEndUnder(dir)` (readFiles'
 * `shortReadIsEnd`). `stats` is for tests and benchmarks.
 */
export async function loadFolder(
  dir: string,
  { outline = false, contents = true, stats, early = looksLong(dir) }: { outline?: boolean; stats?: ReadStats; early?: boolean } & ReadOptions = {},
): Promise<{ read: ReadResult; entries: FileEntry[] }> {
  // A long list's reading thread is started before the listing, to start up meanwhile (`early`, for tests).
  const thread = early ? startReadingThread() : undefined;
  let listed: ReturnType<typeof listEntries>;
  try {
    listed = listEntries(dir, outline);
  } catch (err) {
    void thread?.worker.terminate();
    throw err;
  }
  const { entries, toRead, names } = listed;
  // The worker starts reading first; this thread pairs the files by name meanwhile.
  const reading = new SharedReading(toRead.map((i) => entries[i].path), { shortReadIsEnd: shortReadIsEnd(dir, listed, contents), stats, thread });
  const unread = new Uint8Array(entries.length);
  for (const index of toRead) unread[index] = 1;
  const builder = new RevisionBuilder(entries, { contents }, { unread, dropBytes: true, names });
  await reading.each((first, got) => {
    for (let k = 0; k < got.length; k++) {
      const index = toRead[first + k];
      fill(entries[index], got[k]);
      builder.settle(index);
    }
  });
  return { read: builder.finish(), entries };
}

/**
 * Whether `dir` probably holds enough files to be read on two threads: its
 * directory file is 512 KB or more, which on ext4 is about 10,000 entries
 * (read on two threads from 16,384). Only a guess, made before listing:
 * wrong, it costs the reading thread's start-up or gains nothing.
 */
function looksLong(dir: string): boolean {
  try {
    return availableParallelism() > 1 && statSync(dir).size >= 512 * 1024;
  } catch {
    return false;
  }
}

function fill(entry: FileEntry, got: ReadOutcome): void {
  if (typeof got === 'string') entry.readError = got;
  else entry.bytes = got;
}

/** The folder's `.sql` files as entries, sorted by path, with their file names and the positions of those to read. */
function listEntries(dir: string, outline: boolean): { entries: FileEntry[]; names: string[]; toRead: number[]; notRegular: boolean } {
  // path.join(dir, rel) without normalising every path: rel has no `.`, `..`
  // or empty segment, so only the folder's part needs it. (Not on Windows,
  // where join also turns rel's `/` into `\`.)
  const prefix = path.join(dir, 'x').slice(0, -1);
  let root: string | undefined;
  const entries: FileEntry[] = [];
  // The names as listed: cutting them from the joined paths would make a flat copy of each path, kept to the end.
  const names: string[] = [];
  const toRead: number[] = [];
  const { files, kinds } = listSqlFiles(dir);
  const notRegular = kinds.size > 0;
  for (const rel of files) {
    const kind = notRegular ? kinds.get(rel) : undefined;
    const shown = path.sep === '/' ? prefix + rel : path.join(dir, rel);
    // `bytes` from the start: one shape for every entry, whose bytes are set when read.
    const entry: FileEntry = { path: shown, bytes: undefined };
    if (kind === 'linked folder') entry.linkedFolder = true;
    else if (outline && rel.endsWith('.down.sql')) entry.unread = true;
    else {
      if (kind === 'linked file') {
        root ??= realpathSync(dir);
        const outside = escapes(shown, root);
        if (outside !== undefined) entry.outside = outside;
      }
      if (entry.outside === undefined) toRead.push(entries.length);
    }
    entries.push(entry);
    names.push(rel.slice(rel.lastIndexOf('/') + 1));
  }
  return { entries, names, toRead, notRegular };
}

/**
 * Whether a short read may be taken as the end of a file (readFiles'
 * `shortReadIsEnd`): only when the contents are not kept, every listed file
 * is regular (a link or a pipe is left to the careful way) and
 * `shortReadsEndUnder(dir)` holds, which is asked only then.
 */
function shortReadIsEnd(dir: string, { notRegular }: { notRegular: boolean }, contents: boolean): boolean {
  return !contents && !notRegular && shortReadsEndUnder(dir);
}

/**
 * What the `glob` package matches for `*.sql` on this platform:
 * case-insensitive on macOS and Windows. Elsewhere endsWith, not a regular
 * expression: the loop over the 40,000 entries of one folder took 14–17 ms
 * with it, against 25–26 ms with the expression (fresh processes).
 */
const isSqlName = process.platform === 'darwin' || process.platform === 'win32'
  ? (name: string): boolean => /\.sql$/i.test(name)
  : (name: string): boolean => name.endsWith('.sql');

/**
 * Every `*.sql` file at any depth, relative, `/`-separated and sorted: what
 * the `glob` package returned with `{ nodir: true, dot: false }`. Names starting with
 * a dot are skipped, a missing or unreadable folder lists nothing. Symbolic
 * links are listed with their kind: a linked folder is not entered (and is
 * reported), a linked file is checked for pointing outside the folder.
 *
 * Not `glob` itself: its path-scurry 3.0.0 inserts each entry of a folder
 * with Array.unshift, quadratic in the folder's size. Measured on one flat
 * folder: 40,000 files 0.46–0.59 s, 200,000 files 15.6 s (92% of a profile
 * in that insertion), against 0.05 s and 0.27 s for readdirSync.
 */
function listSqlFiles(dir: string): Listing {
  const found: string[] = [];
  const kinds = new Map<string, Kind>();
  const folders = [''];
  while (folders.length) {
    const rel = folders.pop()!;
    const folder = rel ? path.join(dir, rel) : dir;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) folders.push(child);
      else if (entry.isSymbolicLink()) {
        const linked = isFolder(path.join(dir, child));
        if (linked || isSqlName(entry.name)) {
          found.push(child);
          kinds.set(child, linked ? 'linked folder' : 'linked file');
        }
      } else if (isSqlName(entry.name)) {
        found.push(child);
        if (!entry.isFile()) kinds.set(child, 'special');
      }
    }
  }
  // Plain strings, in the default sort (by UTF-16 code units, as `<` compares): no object per file.
  return { files: found.sort(), kinds };
}

/** What a listed path is when it is not a regular file. A special file (a pipe or a device, say) may read short before its end. */
type Kind = 'linked file' | 'linked folder' | 'special';

interface Listing {
  /** Relative paths, sorted. */
  files: string[];
  /** The kind of each listed path that is not a regular file. */
  kinds: ReadonlyMap<string, Kind>;
}

/** Where a linked file really is, when that is outside `root` (a real path); undefined inside or when it cannot be resolved. */
function escapes(file: string, root: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined; // a broken link: reported as unreadable
  }
  const rel = path.relative(root, real);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? real : undefined;
}

function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false; // a broken link is listed, and reported as unreadable
  }
}
