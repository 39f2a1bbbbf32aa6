/** The worker thread of `readFiles` (src/read.ts): reads its share of the files and posts their bytes back. */
import { parentPort, workerData } from 'node:worker_threads';
import { workerRead, type WorkerData } from './read.js';

const report = workerRead(workerData as WorkerData);
// The slabs move to the other thread (transferred, not copied).
if (report) parentPort!.postMessage(report, report.slabs.map((s) => s.buffer as ArrayBuffer));
