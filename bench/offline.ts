/**
 * Offline benchmark: times `migrate verify`, `migrate history` and
 * `migrate history --graph` as whole processes (the real executable, start-up
 * included) on synthetic folders of growing size, beside a floor script
 * (bench/floor.ts) that only lists, reads, hashes and finds parents. For each
 * command it reports the median wall time of several runs, the median CPU
 * time (user + system, which shows through when other processes share the
 * machine) and the peak memory (max RSS), both from GNU time.
 *
 *   npm run build && node dist/bench/offline.js [--sizes 1000,10000,20000,100000]
 *     [--shapes linear,branchy] [--runs 5] [--out bench/out] [--json FILE]
 *     [--bin path/to/migrate.js]   (another build, e.g. a copy of an older one)
 *     [--idle 0.5]   (before each command, wait up to 60 s for this share of idle CPUs; 0: don't)
 *   node dist/bench/offline.js --render FILE   (the report of a run saved with --json)
 *
 * Folders are generated once under --out (git-ignored) and reused. Runs are
 * warm: a first run of each command checks its output (and fills the page
 * cache); only the runs after it are timed. A command that fails its check
 * is reported as failed, not timed.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pct, waitForIdle } from './lib/idle.js';
import { checkFolderOptions, folderOption, type FolderOptions } from './lib/options.js';
import { GNU_TIME, hasGnuTime, measure, offlineEnv, timedRun, type Cmd, type Measured } from './lib/timing.js';

/** `node <args>` (offline.ts runs only Node programs). */
const node = (args: readonly string[]): Cmd => ({ exe: process.execPath, args });
import { ensureFolder, SHAPES, type FolderStats, type Shape } from './synthetic.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `floor` is bench/floor.ts: list, read, decode, sha256 and parent headers, nothing else. */
const COMMANDS: readonly (readonly string[])[] = [['floor'], ['verify'], ['history'], ['history', '--graph']];
const FLOOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'floor.js');
/** The aims of issue 2, in seconds, by number of revisions (verify and history). */
const AIMS: Record<number, number> = { 20000: 0.33, 100000: 2 };

/** `idle`: wait (up to 60 s) before each command until this share of the CPUs is idle. */
type Options = FolderOptions;

/** Medians (wall, CPU, max RSS) and the range of wall times, once timed. */
interface Row extends Partial<Measured> {
  shape: Shape | '-';
  revisions: number;
  command: string;
  /** Share of the CPUs idle just before the runs (other work on the machine slows them). */
  idle?: number;
  /** Why the command was not timed: it failed its check run. */
  failed?: string;
  /** A problem seen outside the timing (output through a pipe). */
  note?: string;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = {
    sizes: [1000, 10000, 20000, 100000], shapes: [...SHAPES], runs: 5,
    out: path.join(repo, 'bench', 'out'), bin: path.join(repo, 'bin', 'migrate.js'), idle: 0.5,
  };
  for (let i = 0; i < argv.length; i += 2) {
    if (!folderOption(opts, argv[i], argv[i + 1] ?? '')) throw new Error(`unknown argument ${argv[i]} (see the comment at the top of bench/offline.ts)`);
  }
  checkFolderOptions(opts);
  return opts;
}

/**
 * Run once with stdout to a file (as the timed runs, whose stdout is
 * /dev/null) and check the output; returns why it is wrong, or undefined.
 */
function checkRun(args: readonly string[], command: readonly string[], stats: FolderStats, env: NodeJS.ProcessEnv, scratch: string): string | undefined {
  const outFile = path.join(scratch, 'stdout');
  const fd = openSync(outFile, 'w');
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: scratch, env, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30 });
  closeSync(fd);
  const took = `after ${((performance.now() - start) / 1000).toFixed(2)} s`;
  const stdout = readFileSync(outFile, 'utf8');
  const firstError = r.stderr.split('\n').find((l) => l.includes('error')) ?? r.stderr.split('\n')[0];
  if (r.status !== 0) return `exit ${r.status} ${took}: ${firstError.slice(0, 300)}`;
  const [name, flag] = command;
  const lines = stdout.split('\n').filter(Boolean);
  const drawn = lines.filter((l) => l.includes('*')).length;
  if ((name === 'verify' || name === 'floor') && !r.stderr.includes(`ok: ${stats.revisions} revision(s)`)) return `did not report ${stats.revisions} revisions ok ${took}: ${firstError.slice(0, 300)}`;
  if (name === 'history' && !flag && lines.length !== stats.revisions) return `printed ${lines.length} lines for ${stats.revisions} revisions`;
  if (name === 'history' && flag && drawn !== stats.revisions) return `drew ${drawn} revisions of ${stats.revisions}`;
  return undefined;
}

/** Whether stdout through a pipe (`migrate history | less`) carries the whole output; a note when it does not. */
function pipeCheck(args: readonly string[], env: NodeJS.ProcessEnv, scratch: string): string | undefined {
  const expected = statSync(path.join(scratch, 'stdout')).size;
  const r = spawnSync(process.execPath, args, { cwd: scratch, env, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  return r.stdout.length === expected ? undefined : `through a pipe, stdout stopped after ${r.stdout.length} of ${expected} bytes`;
}

const secs = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));

/**
 * Markdown: one row per command, with the RSS above start-up per revision
 * (flat or falling as folders grow = linear memory). Start-up is `migrate
 * --version` for sqlrev, `node -e 0` for the floor script.
 */
function table(rows: readonly Row[]): string {
  const rssOf = (command: string) => rows.find((r) => r.command === command)?.rssMb;
  const [cliRss, nodeRss] = [rssOf('migrate --version'), rssOf('node -e 0')];
  const out = [
    '| shape | revisions | command | wall, median (s) | wall, range (s) | CPU, median (s) | max RSS (MB) | RSS above start-up per revision (KB) |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const n = r.revisions ? r.revisions.toLocaleString('en-US') : '-';
    if (r.failed) {
      out.push(`| ${r.shape} | ${n} | \`${r.command}\` | failed | | | | |`);
      continue;
    }
    const startup = r.command.startsWith('floor') ? nodeRss : cliRss;
    const perRev = r.revisions && r.rssMb !== undefined && startup !== undefined ? (((r.rssMb - startup) * 1024) / r.revisions).toFixed(1) : '';
    out.push(`| ${r.shape} | ${n} | \`${r.command}\` | ${secs(r.wall)} | ${secs(r.wallMin)}–${secs(r.wallMax)} | ${secs(r.cpu)} | ${r.rssMb === undefined ? 'n/a' : r.rssMb.toFixed(0)} | ${perRev} |`);
  }
  return out.join('\n');
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function idleSummary(rows: readonly Row[]): string {
  const shares = rows.map((r) => r.idle).filter((x): x is number => x !== undefined);
  return shares.length ? `CPUs ${pct(Math.min(...shares))}–${pct(Math.max(...shares))} idle just before the runs of each command` : 'CPU idle share not measured';
}

const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

interface Results {
  machine: string;
  load: { before: string; after: string };
  runs: number;
  bin: string;
  rows: Row[];
}

function report(res: Results): string {
  const { rows } = res;
  const lines = [
    `Machine: ${res.machine}. Load average before ${res.load.before}, after ${res.load.after}.`,
    `Medians of ${res.runs} warm runs of ${path.relative(repo, res.bin) || res.bin}; ${idleSummary(rows)}.`,
    '',
    table(rows),
    '',
  ];
  for (const r of rows) if (r.failed) lines.push(`- ${r.shape} ${r.revisions} \`${r.command}\` failed: ${r.failed}`);
  for (const r of rows) if (r.note) lines.push(`- ${r.shape} ${r.revisions} \`${r.command}\`: ${r.note}`);
  for (const r of rows) {
    const aim = AIMS[r.revisions];
    if (aim === undefined || !['migrate verify', 'migrate history'].includes(r.command)) continue;
    const result = r.failed || r.wall === undefined ? 'failed' : `${secs(r.wall)} s, ${r.wall <= aim ? 'met' : 'missed'}`;
    lines.push(`- aim ≤ ${aim} s for ${r.revisions.toLocaleString('en-US')} revisions, ${r.shape} \`${r.command}\`: ${result}`);
  }
  return lines.join('\n') + '\n';
}

function main(): void {
  const argv = process.argv.slice(2);
  // `--render FILE`: print the report of a run saved with --json, without running anything.
  if (argv[0] === '--render') {
    process.stdout.write(report(JSON.parse(readFileSync(argv[1], 'utf8')) as Results));
    return;
  }
  const opts = parseArgs(argv);
  if (!existsSync(opts.bin)) throw new Error(`no ${opts.bin}: build first (npm run build)`);
  const env = offlineEnv();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'sqlrev-bench-'));
  const log = (s: string) => process.stderr.write(s + '\n');
  const loadBefore = load();
  log(`machine: ${machine()}; load average ${loadBefore}`);
  if (!hasGnuTime) log(`no GNU time at ${GNU_TIME}: CPU time and max RSS are not measured`);
  const rows: Row[] = [];
  try {
    // Baselines: Node alone, and the CLI loading its modules to print its version.
    for (const [command, args] of [['node -e 0', ['-e', '0']], ['migrate --version', [opts.bin, '--version']]] as const) {
      const idle = waitForIdle(opts.idle, 60, log).share;
      timedRun(node(args), env, scratch);
      rows.push({ shape: '-', revisions: 0, command, idle, ...measure(node(args), opts.runs, env, scratch) });
    }
    for (const shape of opts.shapes) {
      for (const n of opts.sizes) {
        const t0 = performance.now();
        const { dir, stats, built } = ensureFolder(opts.out, shape, n);
        if (built) log(`wrote ${dir}: ${stats.files} files, ${stats.merges} merges, ${stats.forks} forks (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        for (const command of COMMANDS) {
          const floor = command[0] === 'floor';
          const args = floor ? [FLOOR, dir] : [opts.bin, '--dir', dir, ...command];
          const row: Row = { shape, revisions: n, command: floor ? 'floor (bench/floor.ts)' : `migrate ${command.join(' ')}` };
          // Wait first: the check run then also warms the page cache for the timed runs.
          row.idle = waitForIdle(opts.idle, 60, log).share;
          row.failed = checkRun(args, command, stats, env, scratch);
          row.note = row.failed || floor ? undefined : pipeCheck(args, env, scratch);
          if (!row.failed) Object.assign(row, measure(node(args), opts.runs, env, scratch));
          rows.push(row);
          log(`${shape} ${n} ${row.command}: ${row.failed ? `FAILED, not timed: ${row.failed}` : `wall ${secs(row.wall)} s, CPU ${secs(row.cpu)} s, ${row.rssMb?.toFixed(0) ?? 'n/a'} MB`}${row.note ? `; ${row.note}` : ''}`);
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const results: Results = { machine: machine(), load: { before: loadBefore, after: load() }, runs: opts.runs, bin: opts.bin, rows };
  process.stdout.write(report(results));
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
}

main();
