/**
 * The bare cost of touching every file of a flat migrations folder, on two
 * threads: list it, then open, read and close each `.sql` file (or, with
 * `--stat`, only lstat it), the main thread taking the even positions and a
 * worker the odd ones. Nothing is decoded, parsed or checked. No program
 * that looks at every file each time it runs (sqlrev's `verify`, or a cache
 * that must at least stat each file to trust itself) can be faster than
 * this on the same machine: it is the reference for judging a time aim
 * against what the machine allows (docs/benchmarks.md, "Alembic on the
 * same machine").
 *
 *   npm run build && /usr/bin/time -f '%e s' node dist/bench/access-floor.js [--stat] <folder>
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** Touch every `step`-th path from `start`; the bytes read (or sizes), so the work cannot be skipped. */
function touch(paths: readonly string[], start: number, step: number, statOnly: boolean): number {
  const buffer = new Uint8Array(1 << 16);
  let total = 0;
  for (let i = start; i < paths.length; i += step) {
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
  return total;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const statOnly = args.includes('--stat');
  const dir = args.find((a) => a !== '--stat');
  if (!dir) throw new Error('usage: node dist/bench/access-floor.js [--stat] <flat migrations folder>');
  const worker = new Worker(new URL(import.meta.url), { workerData: { statOnly } });
  const paths = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort().map((n) => path.join(dir, n));
  worker.postMessage(paths);
  const mine = touch(paths, 0, 2, statOnly);
  worker.once('message', (theirs: number) => {
    console.log(`${paths.length} files, ${mine + theirs} ${statOnly ? 'bytes by lstat' : 'bytes read'}`);
    void worker.terminate();
  });
} else {
  parentPort!.once('message', (paths: string[]) => parentPort!.postMessage(touch(paths, 1, 2, (workerData as { statOnly: boolean }).statOnly)));
}
