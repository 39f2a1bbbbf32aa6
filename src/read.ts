/**
 * Reading many small files fast: the disk access under `readFolder`.
 *
 * Each file is read with open, read, close into large slabs (one allocation
 * per megabyte rather than a Buffer per file), without the fstat that
 * readFileSync adds to learn the size. Long lists are shared with one worker
 * thread (`readFiles`): the system calls are most of the time, and they run
 * in parallel.
 */
import { closeSync, openSync, readFileSync, readSync, realpathSync, statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const SLAB = 1 << 20;
/** A file starts in a new slab when less than this is left in the current one. */
const MIN_FREE = 64 << 10;

/** Reads whole files into slabs; `read` returns a view of a slab. */
export class SlabReader {
  private slab = new Uint8Array(0);
  private used = 0;
  /** Read calls made so far (for tests and benchmarks). */
  reads = 0;

  /**
   * `shortReadIsEnd`: see readFiles' option. Otherwise a file is read until
   * a read returns nothing: a network or FUSE file system may return a short
   * read in the middle of a file, and a truncated revision must never run.
   * That costs one more read per file.
   */
  constructor(private readonly shortReadIsEnd = false, private readonly slabSize = SLAB, private readonly minFree = MIN_FREE) {}

  /** The whole file; throws the file system's error. */
  read(file: string): Uint8Array {
    if (this.slab.length - this.used < this.minFree) this.next(this.slabSize);
    const fd = openSync(file, 'r');
    try {
      let start = this.used;
      let end = start;
      for (;;) {
        if (end === this.slab.length) {
          // The file fills the rest of the slab: move it to a slab twice its size so far.
          const old = this.slab;
          this.next(Math.max(this.slabSize, 2 * (end - start)));
          this.slab.set(old.subarray(start, end));
          end -= start;
          start = 0;
        }
        const room = this.slab.length - end;
        const n = readSync(fd, this.slab, end, room, null);
        this.reads++;
        end += n;
        if (n === 0 || (n < room && this.shortReadIsEnd)) break;
      }
      this.used = end;
      return this.slab.subarray(start, end);
    } finally {
      closeSync(fd);
    }
  }

  /** Start again at the beginning of the current slab: every view returned so far may be overwritten. */
  reuse(): void {
    this.used = 0;
  }

  private next(size: number): void {
    this.slab = new Uint8Array(size);
    this.used = 0;
  }
}

/** A file's bytes, or the file system's message when it could not be read. */
export type ReadOutcome = Uint8Array | string;

/** Files taken at a time from the shared counter, by either thread. */
export const CHUNK = 256;
/**
 * Below this many files the worker's start-up (15–20 ms before it reads its
 * first file) costs more than it saves: measured on the 2-CPU machine of
 * docs/benchmarks.md, 10,000 files took 3 ms longer with it, 20,000 files
 * 13 ms less and 40,000 files 55 ms less.
 */
const PARALLEL_MIN = 16384;

/**
 * Linux file systems (statfs f_type) whose regular files read short only at
 * their end: ext2/3/4, XFS, Btrfs, tmpfs, overlayfs, F2FS and ZFS. Network
 * and FUSE file systems are not listed, nor is any other system than Linux.
 */
const LOCAL_FILE_SYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0xf2f52010, 0x2fc12fc1]);

/**
 * True when a short read of a regular file found under `folder` (not through
 * a link) can only be its end: on Linux, the folder is on a file system of
 * LOCAL_FILE_SYSTEMS and nothing is mounted below it. A mounted subfolder,
 * or a single file mounted from elsewhere (as container volumes often are),
 * may be on any file system, and looks like any other entry in a listing.
 */
export function shortReadsEndUnder(folder: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    if (!LOCAL_FILE_SYSTEMS.has(statfsSync(folder).type)) return false;
    return !mountsBelow(readFileSync('/proc/self/mountinfo', 'utf8'), realpathSync(folder));
  } catch {
    return false;
  }
}

/** Whether a /proc/self/mountinfo text lists a mount point strictly below `realFolder`, an absolute real path. Pure. */
export function mountsBelow(mountinfo: string, realFolder: string): boolean {
  const prefix = realFolder.endsWith('/') ? realFolder : `${realFolder}/`;
  for (const line of mountinfo.split('\n')) {
    // The fifth field is the mount point, with space, tab, newline and backslash written as octal escapes.
    const point = line.split(' ')[4];
    if (point === undefined) continue;
    if (point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))).startsWith(prefix)) return true;
  }
  return false;
}

/** How the reading was shared (for tests and benchmarks). */
export interface ReadStats {
  /** Chunks the worker read and delivered. */
  workerChunks: number;
  /** Chunks the worker claimed and never delivered (it failed or died), read by this thread instead. */
  recovered: number;
  /** Read calls, on both threads (the worker's as it reports them with its chunks). */
  reads: number;
}

/** Read one file with `reader`: its bytes, or the error's message. */
export function readOne(reader: SlabReader, file: string): ReadOutcome {
  try {
    return reader.read(file);
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * A chunk read by the worker, all its files in one buffer: for each file,
 * [offset, length] in `where`, or its error message in `errors`.
 */
export interface ChunkMessage {
  chunk: number;
  /** Read calls the worker made for the chunk (ReadStats). */
  reads: number;
  bytes: ArrayBuffer;
  where: Int32Array;
  errors: (string | null)[];
}

/** Takes the outcomes of files `first` to `first + got.length - 1` (see SharedReading). */
export type TakeChunk = (first: number, got: ReadOutcome[]) => void;

type ReadingOptions = {
  workerUrl?: URL;
  parallelMin?: number;
  stats?: ReadStats;
  shortReadIsEnd?: boolean;
  /** A reading thread started before the list was known (startReadingThread): used for a long list, ended for a short one. */
  thread?: ReadingThread;
};

/** The worker that shares the reading, with this thread's end of their channel. */
export interface ReadingThread {
  worker: Worker;
  /** The list goes out on it, the chunks come in (read with receiveMessageOnPort between this thread's own chunks). */
  port: MessagePort;
  /** The shared counter of chunks claimed, by either thread. */
  next: Int32Array;
  /** Settles when the worker has ended (or failed to start): listened for from the start, so no ending is missed. */
  ended: Promise<void>;
}

/**
 * Start the worker that shares the reading (src/read-worker.ts), before the
 * list is known: it waits for the list SharedReading sends it. Its start-up
 * (56 ms on the slower machine of docs/benchmarks.md) then overlaps the
 * listing. Undefined when no worker can be made. The worker never keeps the
 * process alive; one that is never given a list waits until the process ends.
 */
export function startReadingThread(url = new URL('./read-worker.js', import.meta.url)): ReadingThread | undefined {
  const next = new Int32Array(new SharedArrayBuffer(4));
  const channel = new MessageChannel();
  try {
    const worker = new Worker(url, { workerData: { next, port: channel.port2 }, transferList: [channel.port2] });
    worker.on('error', () => {}); // its chunks are read by the main thread instead (SharedReading)
    worker.unref();
    const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    return { worker, port: channel.port1, next, ended };
  } catch {
    channel.port1.close();
    return undefined;
  }
}

/** What SharedReading sends the worker: the list, as one string (a single copy instead of one per path; a path has no NUL). */
export interface ListMessage {
  files: string;
  shortReadIsEnd: boolean;
}

/**
 * Every file's bytes or error, in order. Lists of `PARALLEL_MIN` files or
 * more, given two CPUs or more, are read by this thread and one worker thread at once, each taking
 * the next `CHUNK` files from a shared counter, so a worker that starts late
 * or slowly only takes less. Whatever the worker claimed and did not deliver
 * (it failed to start, or died) is read here; the result does not depend on
 * how the work was shared.
 *
 * `shortReadIsEnd`: take a read that returns less than asked as the end of
 * the file, saving the read that would return nothing (a quarter of the
 * system calls per file). Only for bytes that are checked and dropped, never
 * run or hashed, and for regular files where `shortReadsEndUnder` holds:
 * there a regular file reads short only at its end or on an I/O error (which
 * such bytes may then hide: a later command that runs them reads them the
 * careful way and reports it). The other options are for tests and benchmarks.
 */
export async function readFiles(files: readonly string[], options: ReadingOptions = {}): Promise<ReadOutcome[]> {
  const out: ReadOutcome[] = new Array(files.length);
  await new SharedReading(files, options).each((first, got) => {
    for (let k = 0; k < got.length; k++) out[first + k] = got[k];
  });
  return out;
}

/**
 * readFiles a chunk at a time: `each` hands every chunk to its taker on this
 * thread as soon as it is in, whichever thread read it, so this thread can
 * work on the files while the worker still reads (chunks come in any order,
 * each once). The worker starts when the reading is made, and may take the
 * first chunks while this thread does something else before `each`.
 */
export class SharedReading {
  private readonly chunks: number;
  private readonly reader: SlabReader;
  private readonly thread: ReadingThread | undefined;
  /** The thread's counter, or this thread's own when it reads alone. */
  private readonly next: Int32Array;
  private readonly stats: ReadStats | undefined;

  // With one CPU to run on, a second thread would only add its start-up.
  constructor(
    private readonly files: readonly string[],
    { workerUrl, parallelMin = availableParallelism() > 1 ? PARALLEL_MIN : Infinity, stats, shortReadIsEnd = false, thread }: ReadingOptions = {},
  ) {
    this.chunks = Math.ceil(files.length / CHUNK);
    this.reader = new SlabReader(shortReadIsEnd);
    this.stats = stats;
    if (files.length < parallelMin) {
      if (thread) void thread.worker.terminate();
      thread = undefined;
    } else thread ??= startReadingThread(workerUrl);
    if (thread) thread.port.postMessage({ files: files.join('\0'), shortReadIsEnd } satisfies ListMessage);
    this.thread = thread;
    this.next = thread?.next ?? new Int32Array(new SharedArrayBuffer(4));
  }

  /** Read every file, giving each chunk to `take`; resolves once all are taken. Call it once. */
  async each(take: TakeChunk): Promise<void> {
    const { files, chunks, reader, thread, stats } = this;
    const port = thread?.port;
    const done = new Set<number>();
    const readChunk = (c: number): void => {
      const first = c * CHUNK;
      const got: ReadOutcome[] = [];
      for (let i = first, end = Math.min(files.length, first + CHUNK); i < end; i++) got.push(readOne(reader, files[i]));
      done.add(c);
      take(first, got);
    };
    const deliver = (m: ChunkMessage): void => {
      const got: ReadOutcome[] = [];
      for (let k = 0; k < m.errors.length; k++) got.push(m.errors[k] ?? new Uint8Array(m.bytes, m.where[2 * k], m.where[2 * k + 1]));
      done.add(m.chunk);
      if (stats) {
        stats.workerChunks++;
        stats.reads += m.reads;
      }
      take(m.chunk * CHUNK, got);
    };
    /** Take one chunk the worker has sent, if there is one. */
    const takeSent = (): boolean => {
      const m = port && receiveMessageOnPort(port);
      if (m) deliver(m.message as ChunkMessage);
      return m !== undefined;
    };
    const drain = (): void => {
      while (takeSent());
    };
    try {
      // What the worker has read is taken first: this thread reads only when it has nothing else to take.
      for (;;) {
        if (takeSent()) continue;
        const c = Atomics.add(this.next, 0, 1);
        if (c >= chunks) break;
        readChunk(c);
      }
      drain();
      if (thread && port && done.size < chunks) {
        // The rest was claimed by the worker: take its chunks as they come, until all are in or it has ended.
        await new Promise<void>((resolve, reject) => {
          // The taker's error rejects each, as it does from the chunks this thread read.
          const settled = (takeSome: () => void) => {
            try {
              takeSome();
            } catch (err) {
              reject(err);
              return;
            }
            if (done.size === chunks) resolve();
          };
          port.on('message', (m: ChunkMessage) => settled(() => deliver(m)));
          void thread.ended.then(() => {
            settled(drain); // what it sent before it ended
            resolve();
          });
        });
      }
    } finally {
      port?.close();
    }
    // A worker that failed to start or died leaves its claimed chunks to this thread.
    for (let c = 0; c < chunks; c++) {
      if (done.has(c)) continue;
      readChunk(c);
      if (stats) stats.recovered++;
    }
    if (stats) stats.reads += reader.reads;
  }
}

