/** The command-line options that the folder benchmarks (offline.ts, alembic.ts) share. */
import path from 'node:path';
import { SHAPES, type Shape } from '../synthetic.js';

export interface FolderOptions {
  sizes: number[];
  shapes: Shape[];
  runs: number;
  out: string;
  bin: string;
  /** Before each command, wait until this share of the CPUs is idle; 0 to not wait. */
  idle: number;
  json?: string;
}

/** Takes `flag value` into `opts` when it is one of the shared options; false for any other flag. */
export function folderOption(opts: FolderOptions, flag: string, value: string): boolean {
  switch (flag) {
    case '--sizes': opts.sizes = value.split(',').map(Number); return true;
    case '--shapes': opts.shapes = value.split(',') as Shape[]; return true;
    case '--runs': opts.runs = Number(value); return true;
    case '--out': opts.out = path.resolve(value); return true;
    case '--bin': opts.bin = path.resolve(value); return true;
    case '--json': opts.json = path.resolve(value); return true;
    case '--idle': opts.idle = Number(value); return true;
    default: return false;
  }
}

/** Throws when a shared option has a value the benchmarks cannot use. */
export function checkFolderOptions(opts: FolderOptions): void {
  if (opts.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes takes positive integers');
  if (opts.shapes.some((s) => !SHAPES.includes(s))) throw new Error(`--shapes takes ${SHAPES.join(', ')}`);
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs takes a positive integer');
}
