/**
 * Builds of sqlrev against each other on one synthetic folder: each timed
 * run goes to each build in turn, so a machine whose speed drifts (seen
 * here: 10 % within an hour) slows them alike. Reports the median, first
 * quartile and least wall time of each build, and each median's change
 * against the first build's. Every build runs once untimed first, and must
 * exit 0.
 *
 *   npm run build && node dist/bench/compare.js --bin /tmp/old/bin/migrate.js --bin bin/migrate.js \
 *     [--shape linear] [--size 20000] [--runs 21] [--out bench/out] -- verify
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, offlineEnv, timedRun } from './lib/timing.js';
import { ensureFolder, type Shape } from './synthetic.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv: readonly string[]): { bins: string[]; shape: Shape; size: number; runs: number; out: string; command: string[] } {
  const opts = { bins: [] as string[], shape: 'linear' as Shape, size: 20000, runs: 21, out: path.join(repo, 'bench', 'out'), command: [] as string[] };
  const end = argv.indexOf('--');
  if (end === -1 || end === argv.length - 1) throw new Error('give the command after --, e.g. -- verify (see the comment at the top of bench/compare.ts)');
  opts.command = argv.slice(end + 1);
  for (let i = 0; i < end; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--bin') opts.bins.push(path.resolve(value));
    else if (argv[i] === '--shape') opts.shape = value as Shape;
    else if (argv[i] === '--size') opts.size = Number(value);
    else if (argv[i] === '--runs') opts.runs = Number(value);
    else if (argv[i] === '--out') opts.out = path.resolve(value);
    else throw new Error(`unknown argument ${argv[i]} (see the comment at the top of bench/compare.ts)`);
  }
  if (opts.bins.length < 2) throw new Error('give two builds or more, each with --bin');
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs takes a positive integer');
  return opts;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const { dir } = ensureFolder(opts.out, opts.shape, opts.size);
  const env = offlineEnv();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'sqlrev-compare-'));
  try {
    const cmds = opts.bins.map((bin) => ({ exe: process.execPath, args: [bin, '--dir', dir, ...opts.command] }));
    for (const cmd of cmds) timedRun(cmd, env, scratch);
    const walls = cmds.map(() => [] as number[]);
    for (let r = 0; r < opts.runs; r++) cmds.forEach((cmd, k) => walls[k].push(timedRun(cmd, env, scratch).wall));
    const first = median(walls[0])!;
    process.stdout.write(`${opts.shape} ${opts.size.toLocaleString('en-US')}, \`migrate ${opts.command.join(' ')}\`, ${opts.runs} runs of each build in turn\n\n`);
    process.stdout.write('| build | median (s) | first quartile (s) | least (s) | change of the median |\n| --- | ---: | ---: | ---: | ---: |\n');
    opts.bins.forEach((bin, k) => {
      const sorted = [...walls[k]].sort((a, b) => a - b);
      const m = median(sorted)!;
      const change = k === 0 ? '' : `${m >= first ? '+' : '−'}${(Math.abs(m / first - 1) * 100).toFixed(1)} %`;
      process.stdout.write(`| ${path.relative(process.cwd(), bin) || bin} | ${m.toFixed(3)} | ${sorted[sorted.length >> 2].toFixed(3)} | ${sorted[0].toFixed(3)} | ${change} |\n`);
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
