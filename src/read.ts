/**
 * Reading many small files fast: the disk access under `readFolder`.
 *
 * Each file is read with open, read, close into large slabs (one allocation
 * per megabyte rather than a Buffer per file), without the fstat that
 * readFileSync adds to learn the size. Large folders are read by this thread
 * and one worker thread at once, each taking the next file from a shared
 * counter; a file's bytes are the same whichever thread read it, so the
 * result is too.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** A file's bytes, or the message of the error that stopped its reading. */
export type ReadOutcome = Uint8Array | { error: string };

const SLAB = 1 << 20;
/** A file starts in a new slab when less than this is left in the current one. */
const MIN_FREE = 64 << 10;

/** Reads whole files into slabs; `read` returns a view of a slab. */
export class SlabReader {
  /** Every slab used so far, the current one last. */
  readonly slabs: Uint8Array[] = [];
  private slab = new Uint8Array(0);
  private used = 0;

  constructor(private readonly slabSize = SLAB, private readonly minFree = MIN_FREE) {}

  /**
   * The whole file; throws the file system's error. For a `regular` file a
   * read that returns less than asked for is its end (POSIX: a regular file
   * reads short only at its end), which saves a second read per file; any
   * other file (a link, a pipe) is read until a read returns nothing.
   */
  read(file: string, regular: boolean): Uint8Array {
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
        end += n;
        if (n === 0 || (regular && n < room)) break;
      }
      this.used = end;
      return this.slab.subarray(start, end);
    } finally {
      closeSync(fd);
    }
  }

  private next(size: number): void {
    this.slab = new Uint8Array(size);
    this.slabs.push(this.slab);
    this.used = 0;
  }
}

function readOne(reader: SlabReader, file: string, regular: boolean): ReadOutcome {
  try {
    return reader.read(file, regular);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Int32 slots shared by this thread and the worker. */
const NEXT = 0; // the next index to claim
const STATE = 1; // 0: the worker has not started, 1: it runs, 2: it was called off

/** What the worker posts back: [index, slab, offset, length] for each file it read, [index, message] for each error. */
export interface WorkerReport {
  slabs: Uint8Array[];
  got: number[];
  errors: [number, string][];
}

/**
 * The paths go to the worker as one string, NUL-separated (no path has a
 * NUL), cut where each starts: one copy instead of 40,000 strings for the
 * worker to rebuild and keep alive through its collections.
 */
export interface WorkerData {
  joined: string;
  starts: Int32Array;
  regular: Uint8Array;
  shared: Int32Array;
}

/**
 * From this many files on, a worker thread reads beside this one. Starting
 * one costs ~15 ms of this thread and ~40 ms of the other core (measured;
 * bench/README.md), so below a few thousand files it would not pay.
 */
export const WORKER_THRESHOLD = 4000;

/**
 * Read every file (`regular[i]` set when readdir said `files[i]` is a
 * regular file). Outcomes come in the order of `files`.
 */
export async function readFiles(files: readonly string[], regular: Uint8Array, threshold = WORKER_THRESHOLD): Promise<ReadOutcome[]> {
  const out: (ReadOutcome | undefined)[] = new Array(files.length).fill(undefined);
  const reader = new SlabReader();
  if (files.length < threshold) {
    for (let i = 0; i < files.length; i++) out[i] = readOne(reader, files[i], regular[i] === 1);
    return out as ReadOutcome[];
  }
  const shared = new Int32Array(new SharedArrayBuffer(8));
  let worker: Worker | undefined;
  let report: Promise<WorkerReport | undefined> = Promise.resolve(undefined);
  try {
    const starts = new Int32Array(files.length + 1);
    for (let i = 0; i < files.length; i++) starts[i + 1] = starts[i] + files[i].length + 1;
    const workerData: WorkerData = { joined: files.join('\0'), starts, regular, shared };
    const w = new Worker(new URL('./read-worker.js', import.meta.url), { workerData });
    report = new Promise((resolve) => {
      w.once('message', resolve);
      w.once('error', () => resolve(undefined));
      w.once('exit', () => resolve(undefined));
    });
    worker = w;
  } catch {
    // No worker (e.g. too many threads): this thread reads everything.
  }
  for (let i; (i = Atomics.add(shared, NEXT, 1)) < files.length; ) out[i] = readOne(reader, files[i], regular[i] === 1);
  if (Atomics.compareExchange(shared, STATE, 0, 2) === 0) {
    // The worker had not started yet: it will read nothing, so do not wait for it.
    void worker?.terminate();
  } else {
    const got = await report;
    if (got) {
      const g = got.got;
      for (let k = 0; k < g.length; k += 4) out[g[k]] = got.slabs[g[k + 1]].subarray(g[k + 2], g[k + 2] + g[k + 3]);
      for (const [i, message] of got.errors) out[i] = { error: message };
    }
  }
  // Files a failed worker claimed but never reported are read here.
  for (let i = 0; i < files.length; i++) out[i] ??= readOne(reader, files[i], regular[i] === 1);
  return out as ReadOutcome[];
}

/** The worker's side (src/read-worker.ts): claim and read files until none is left. Undefined when called off before it started. */
export function workerRead({ joined, starts, regular, shared }: WorkerData): WorkerReport | undefined {
  if (Atomics.compareExchange(shared, STATE, 0, 1) !== 0) return undefined;
  const reader = new SlabReader();
  const got: number[] = [];
  const errors: [number, string][] = [];
  const count = starts.length - 1;
  for (let i; (i = Atomics.add(shared, NEXT, 1)) < count; ) {
    const outcome = readOne(reader, joined.slice(starts[i], starts[i + 1] - 1), regular[i] === 1);
    if (outcome instanceof Uint8Array) got.push(i, reader.slabs.length - 1, outcome.byteOffset, outcome.length);
    else errors.push([i, outcome.error]);
  }
  return { slabs: reader.slabs, got, errors };
}
