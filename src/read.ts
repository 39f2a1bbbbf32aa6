/**
 * Reading many small files fast: the disk access under `readFolder`.
 *
 * Each file is read with open, read, close into large slabs (one allocation
 * per megabyte rather than a Buffer per file), without the fstat that
 * readFileSync adds to learn the size. One thread: a worker thread reading
 * half of the files made reading slower on the 2-CPU machine of
 * docs/benchmarks.md, not faster.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const SLAB = 1 << 20;
/** A file starts in a new slab when less than this is left in the current one. */
const MIN_FREE = 64 << 10;

/** Reads whole files into slabs; `read` returns a view of a slab. */
export class SlabReader {
  private slab = new Uint8Array(0);
  private used = 0;

  constructor(private readonly slabSize = SLAB, private readonly minFree = MIN_FREE) {}

  /**
   * The whole file; throws the file system's error. A file is read until a
   * read returns nothing: a short read is not taken as the end, because a
   * network or FUSE file system may return one in the middle of a file, and a
   * truncated revision must never run. That costs one more read per file.
   */
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
        end += n;
        if (n === 0) break;
      }
      this.used = end;
      return this.slab.subarray(start, end);
    } finally {
      closeSync(fd);
    }
  }

  private next(size: number): void {
    this.slab = new Uint8Array(size);
    this.used = 0;
  }
}
