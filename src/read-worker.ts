/**
 * The worker thread of `readFiles` (src/read.ts): claims chunks of the file
 * list from the shared counter, reads them, and hands each chunk's slabs
 * over to the main thread without copying.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CHUNK, readOne, SlabReader, type ChunkMessage } from './read.js';

const files = (workerData.files as string).split('\0');
const next = workerData.next as Int32Array;
const chunks = Math.ceil(files.length / CHUNK);

for (let c; (c = Atomics.add(next, 0, 1)) < chunks; ) {
  // A reader per chunk: its slabs go to the main thread with the chunk.
  const reader = new SlabReader(256 << 10, 16 << 10);
  const start = c * CHUNK;
  const end = Math.min(files.length, start + CHUNK);
  const buffers: ArrayBuffer[] = [];
  const where = new Int32Array(3 * (end - start));
  const errors: (string | null)[] = [];
  for (let i = start; i < end; i++) {
    const got = readOne(reader, files[i]);
    const k = 3 * (i - start);
    if (typeof got === 'string') {
      where[k] = -1;
      errors.push(got);
      continue;
    }
    let b = buffers.indexOf(got.buffer as ArrayBuffer);
    if (b < 0) b = buffers.push(got.buffer as ArrayBuffer) - 1;
    where[k] = b;
    where[k + 1] = got.byteOffset;
    where[k + 2] = got.byteLength;
    errors.push(null);
  }
  const message: ChunkMessage = { chunk: c, buffers, where, errors };
  parentPort!.postMessage(message, [...buffers, where.buffer]);
}
