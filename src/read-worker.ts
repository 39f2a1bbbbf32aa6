/**
 * The worker thread of `SharedReading` (src/read.ts): claims chunks of the file
 * list from the shared counter, reads them, and hands each chunk over to
 * the main thread in one buffer of exactly its size, without copying it
 * again there.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { CHUNK, readOne, SlabReader, type ChunkMessage, type ListMessage } from './read.js';

const next = workerData.next as Int32Array;
// The main thread's end of this channel sends the list, then takes the chunks between its own reads (SharedReading).
const port = workerData.port as MessagePort;
port.once('message', ({ files, shortReadIsEnd }: ListMessage) => {
  port.unref(); // nothing more comes in: the thread ends when the list is read
  readChunks(files === '' ? [] : files.split('\0'), shortReadIsEnd);
});

function readChunks(files: string[], shortReadIsEnd: boolean): void {
  const chunks = Math.ceil(files.length / CHUNK);
  // One reader for all chunks, reused: each chunk is copied out before the next is read.
  const reader = new SlabReader(shortReadIsEnd);
  for (let c; (c = Atomics.add(next, 0, 1)) < chunks; ) {
    const start = c * CHUNK;
    const end = Math.min(files.length, start + CHUNK);
    const got = [];
    const readsBefore = reader.reads;
    let total = 0;
    for (let i = start; i < end; i++) {
      const one = readOne(reader, files[i]);
      got.push(one);
      if (typeof one !== 'string') total += one.byteLength;
    }
    // A buffer of the chunk's size: a slab would keep its whole megabyte alive in the main thread.
    const bytes = new Uint8Array(total);
    const where = new Int32Array(2 * got.length);
    const errors: (string | null)[] = [];
    let at = 0;
    got.forEach((one, k) => {
      if (typeof one === 'string') {
        errors.push(one);
        return;
      }
      bytes.set(one, at);
      where[2 * k] = at;
      where[2 * k + 1] = one.byteLength;
      at += one.byteLength;
      errors.push(null);
    });
    reader.reuse();
    const message: ChunkMessage = { chunk: c, reads: reader.reads - readsBefore, bytes: bytes.buffer, where, errors };
    port.postMessage(message, [bytes.buffer, where.buffer]);
  }
}
