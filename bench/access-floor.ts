/**
 * The bare cost of touching every file of a flat migrations folder from a
 * Node process on two threads: list it, then open, read and close each
 * `.sql` file (or, with `--stat`, only lstat it), both threads taking
 * chunks of 256 files from a shared counter, as sqlrev's reading does.
 * Nothing is decoded, parsed or checked; Node's start-up and the worker's
 * are included. A Node command that looks at every file each time it runs
 * (sqlrev's `verify`, or a cache that must at least stat each file to
 * trust itself) is unlikely to get below this on the same machine; a
 * native program can (docs/benchmarks.md, "Alembic on the same machine").
 *
 *   npm run build && /usr/bin/time -f '%e s' node dist/bench/access-floor.js [--stat] <folder>
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const CHUNK = 256;

/** Touch the chunks of `paths` this thread claims from `next`; the bytes read (or sizes), so the work cannot be skipped. */
function touch(paths: readonly string[], next: Int32Array, statOnly: boolean): number {
  const buffer = new Uint8Array(1 << 16);
  let total = 0;
  for (let start; (start = Atomics.add(next, 0, 1) * CHUNK) < paths.length; ) {
    for (let i = start; i < Math.min(paths.length, start + CHUNK); i++) {
      if (statOnly) {
        total += lstatSync(paths[i]).size;
        continue;
      }
      const fd = openSync(paths[i], 'r');
      try {
        total += readSync(fd, buffer, 0, buffer.length, null);
      } finally {
        closeSync(fd);
      }
    }
  }
  return total;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const statOnly = args.includes('--stat');
  const dir = args.find((a) => a !== '--stat');
  if (!dir) throw new Error('usage: node dist/bench/access-floor.js [--stat] <flat migrations folder>');
  const next = new Int32Array(new SharedArrayBuffer(4));
  // Started before the listing, so that its start-up overlaps it.
  const worker = new Worker(new URL(import.meta.url), { workerData: { statOnly, next } });
  const paths = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort().map((n) => path.join(dir, n));
  worker.postMessage(paths);
  const mine = touch(paths, next, statOnly);
  worker.once('message', (theirs: number) => {
    console.log(`${paths.length} files, ${mine + theirs} ${statOnly ? 'bytes by lstat' : 'bytes read'}`);
    void worker.terminate();
  });
} else {
  const { statOnly, next } = workerData as { statOnly: boolean; next: Int32Array };
  parentPort!.once('message', (paths: string[]) => parentPort!.postMessage(touch(paths, next, statOnly)));
}
