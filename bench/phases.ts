/**
 * Where the time of an offline command goes, measured inside one process on
 * the synthetic folders of bench/offline.ts: reading the folder, turning files
 * into revisions, building the graph, listing and drawing the history, and
 * planning `up head` from nothing and `down base` from everything. A second
 * table runs the pure steps alone on generated revisions (no files) up to a
 * million, beside the cost of putting the same ids in a Set and a Map: the
 * check that graph, history and plans are linear is that their time per
 * revision grows no faster than that baseline's (which grows too, as the
 * tables outgrow the CPU caches).
 *
 *   npm run build && node dist/bench/phases.js [--sizes 1000,10000,100000] [--shapes linear,branchy] [--runs 5]
 *     [--graph-sizes 10000,100000,1000000]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRevisions } from '../src/files.js';
import { readFolder } from '../src/folder.js';
import { Graph } from '../src/graph.js';
import { drawLanes, historyEntries } from '../src/history.js';
import { planDown, planUp } from '../src/plan.js';
import { ensureFolder, revisionsOf, SHAPES, type Shape } from './synthetic.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv: readonly string[]): { sizes: number[]; graphSizes: number[]; shapes: Shape[]; runs: number; out: string } {
  const opts = { sizes: [1000, 10000, 100000], graphSizes: [10000, 100000, 1000000], shapes: [...SHAPES], runs: 5, out: path.join(repo, 'bench', 'out') };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--sizes') opts.sizes = value.split(',').map(Number);
    else if (argv[i] === '--graph-sizes') opts.graphSizes = value.split(',').map(Number);
    else if (argv[i] === '--shapes') opts.shapes = value.split(',') as Shape[];
    else if (argv[i] === '--runs') opts.runs = Number(value);
    else if (argv[i] === '--out') opts.out = path.resolve(value);
    else throw new Error(`unknown argument ${argv[i]} (see the comment at the top of bench/phases.ts)`);
  }
  return opts;
}

/** Median wall milliseconds of `runs` calls; the last result is kept for the next step. */
async function time<T>(runs: number, fn: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  const ms: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[ms.length >> 1], result };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const lines = [
    `Medians of ${opts.runs} runs in one process (warm), ms, and µs per revision in brackets.`,
    '',
    '| shape | revisions | read folder | files → revisions | graph | history list | history lanes | plan up head | plan down base |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const shape of opts.shapes) {
    for (const n of opts.sizes) {
      const { dir } = ensureFolder(opts.out, shape, n);
      const cell = (ms: number) => `${ms.toFixed(1)} (${((ms * 1000) / n).toFixed(2)})`;
      const read = await time(opts.runs, () => readFolder(dir));
      const revs = await time(opts.runs, () => readRevisions(read.result));
      if (revs.result.problems.length) throw new Error(`${dir}: ${revs.result.problems[0].message}`);
      const graph = await time(opts.runs, () => Graph.build(revs.result.revisions).graph);
      const entries = await time(opts.runs, () => historyEntries(graph.result));
      const lanes = await time(opts.runs, () => drawLanes(entries.result));
      const all = new Set(graph.result.order);
      const up = await time(opts.runs, () => planUp(graph.result, new Set(), 'head'));
      const down = await time(opts.runs, () => planDown(graph.result, all, 'base'));
      if (up.result.steps.length !== n || down.result.steps.length !== n) throw new Error(`${dir}: plans do not cover every revision`);
      lines.push(`| ${shape} | ${n.toLocaleString('en-US')} | ${[read, revs, graph, entries, lanes, up, down].map((t) => cell(t.ms)).join(' | ')} |`);
      process.stderr.write(`${lines[lines.length - 1]}\n`);
    }
  }
  lines.push(
    '',
    `Graph, history and plans alone on generated revisions (no files): µs per revision, medians of ${opts.runs} runs.`,
    '',
    '| shape | revisions | Set + Map of the ids (baseline) | graph | history list | history lanes | plan up head | plan down base |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const shape of opts.shapes) {
    for (const n of opts.graphSizes) {
      const nodes = revisionsOf(shape, n);
      const perRev = (t: { ms: number }) => ((t.ms * 1000) / n).toFixed(2);
      const baseline = await time(opts.runs, () => {
        const set = new Set(nodes.map((r) => r.id));
        const map = new Map<string, number>();
        for (const id of set) map.set(id, map.size);
        return map;
      });
      const graph = await time(opts.runs, () => Graph.build(nodes).graph);
      const entries = await time(opts.runs, () => historyEntries(graph.result));
      const lanes = await time(opts.runs, () => drawLanes(entries.result));
      const all = new Set(graph.result.order);
      const up = await time(opts.runs, () => planUp(graph.result, new Set(), 'head'));
      const down = await time(opts.runs, () => planDown(graph.result, all, 'base'));
      if (up.result.steps.length !== n || down.result.steps.length !== n) throw new Error(`${shape} ${n}: plans do not cover every revision`);
      lines.push(`| ${shape} | ${n.toLocaleString('en-US')} | ${[baseline, graph, entries, lanes, up, down].map(perRev).join(' | ')} |`);
      process.stderr.write(`${lines[lines.length - 1]}\n`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
