/**
 * Engine benchmark (issue 3, "Speed"): `migrate up` against a real
 * PostgreSQL, as whole processes, compared with the floor a DBA would use.
 *
 *   npm run build && node dist/bench/engine.js [--runs 8]
 *     [--scenarios realistic,trivial,noop] [--admin postgres://postgres@127.0.0.1:5432/postgres]
 *     [--bin path/to/migrate.js] [--label TEXT] [--idle 0.6] [--idle-wait 30]
 *     [--out bench/out] [--json FILE] [--write-docs]
 *   node dist/bench/engine.js --from-json FILE [--write-docs]   (the report of a saved run)
 *
 * Scenarios (targets from the issue):
 *   realistic  500 revisions, each CREATE TABLE (5 columns) + CREATE INDEX:   migrate up ≤ 1.05 × floor
 *   trivial    1,000 revisions, each `select n`:                               migrate up ≤ 1.00 × floor
 *   noop       `migrate up` with those 1,000 already applied (container start): ≤ 1.20 × a bare
 *              Node script that imports postgres.js, connects and runs `select 1` (bench/lib/select1.ts)
 *
 * The floor is one psql session running a generated script
 * (`psql -X -q -v ON_ERROR_STOP=1 -f <out>/engine-<kind>-<n>.floor.sql`) that
 * creates a bookkeeping table like sqlrev's (id, parents, message, both
 * checksums, both texts, applied_at) and runs each revision as
 * `BEGIN; <up file>; INSERT …; COMMIT;`.
 *
 * Protocol. Every timed run gets a fresh database: each round creates one per
 * contender (the no-op runs clone a template that has the 1,000 revisions
 * applied), runs CHECKPOINT, waits for the CPUs to be idle enough (--idle, a
 * share of all CPUs over one second, at most --idle-wait seconds; 0 turns it
 * off), then times the two contenders back to back, as whole processes from
 * spawn to exit, and drops the databases. The contenders swap places every
 * round, because on the machine this was written on the first command of a
 * round was measurably slower whichever it was; keep --runs even so each
 * contender goes first equally often. One untimed warm-up round checks that
 * every command does its job; every timed run is checked afterwards too
 * (rows recorded, tables made, nothing new logged by the no-op), outside the
 * timing. The report gives median over median (the ratio the targets apply
 * to), the median of per-round ratios, and each command's own CPU time.
 *
 * Databases are named sqlrev_bench_<pid>_<n> and always dropped. Generated
 * folders and floor scripts go to --out (git-ignored). --write-docs replaces
 * the generated block of the "Engine speed" section of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downTemplate, upTemplate } from '../src/authoring.js';
import { checksum, normaliseText } from '../src/checksum.js';
import { quoteLiteral } from '../src/quote.js';
import { pct, waitForIdle } from './lib/idle.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = path.join(repo, 'docs', 'benchmarks.md');
const DOCS_BEGIN = '<!-- engine-bench:begin (written by node dist/bench/engine.js --write-docs) -->';
const DOCS_END = '<!-- engine-bench:end -->';

/** Bump when generated files change, so old folders are rebuilt. */
const GENERATOR_VERSION = 1;

type Kind = 'realistic' | 'trivial';
type ScenarioKey = 'realistic' | 'trivial' | 'noop';
const SCENARIOS: readonly ScenarioKey[] = ['realistic', 'trivial', 'noop'];
const SIZES: Record<Kind, number> = { realistic: 500, trivial: 1000 };

interface Options {
  runs: number;
  scenarios: ScenarioKey[];
  admin: string;
  out: string;
  bin: string;
  json?: string;
  writeDocs: boolean;
  /** Print the report of a run saved with --json instead of running. */
  fromJson?: string;
  /** How the report names the sqlrev timed (default: the git commit of --bin's checkout). */
  label?: string;
  /** Before each round, wait until this share of the CPUs is idle (0 = never wait). */
  idle: number;
  /** …but at most this many seconds per round. */
  idleWait: number;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = {
    runs: 8,
    scenarios: [...SCENARIOS],
    admin: process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    out: path.join(repo, 'bench', 'out'),
    bin: path.join(repo, 'bin', 'migrate.js'),
    writeDocs: false,
    idle: 0.6,
    idleWait: 30,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--runs': opts.runs = Number(value); i++; break;
      case '--scenarios': opts.scenarios = value.split(',') as ScenarioKey[]; i++; break;
      case '--admin': opts.admin = value; i++; break;
      case '--out': opts.out = path.resolve(value); i++; break;
      case '--bin': opts.bin = path.resolve(value); i++; break;
      case '--json': opts.json = path.resolve(value); i++; break;
      case '--write-docs': opts.writeDocs = true; break;
      case '--label': opts.label = value; i++; break;
      case '--from-json': opts.fromJson = path.resolve(value); i++; break;
      case '--idle': opts.idle = Number(value); i++; break;
      case '--idle-wait': opts.idleWait = Number(value); i++; break;
      default: throw new Error(`unknown argument ${argv[i]} (see the comment at the top of bench/engine.ts)`);
    }
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs takes a positive integer');
  if (opts.runs % 2) process.stderr.write(`note: --runs ${opts.runs} is odd, so one contender goes first once more than the other\n`);
  if (!(opts.idle >= 0 && opts.idle < 1)) throw new Error('--idle takes a fraction, e.g. 0.7 (0 turns the wait off)');
  if (!(opts.idleWait >= 0)) throw new Error('--idle-wait takes seconds');
  if (opts.scenarios.some((s) => !SCENARIOS.includes(s))) throw new Error(`--scenarios takes ${SCENARIOS.join(', ')}`);
  return opts;
}

// ---------------------------------------------------------------- folders and the floor script

interface GeneratedRevision {
  id: string;
  parents: string[];
  message: string;
  up: string;
  down: string;
}

function idOf(kind: Kind, n: number): string {
  return createHash('sha256').update(`sqlrev engine bench ${kind} ${n}`).digest('hex').slice(0, 12);
}

function bodies(kind: Kind, n: number): { message: string; up: string; down: string } {
  const t = `t${String(n).padStart(4, '0')}`;
  if (kind === 'trivial') return { message: `select ${n}`, up: `select ${n};`, down: `select -${n};` };
  return {
    message: `add table ${t}`,
    up: [
      `create table ${t} (`,
      '  id bigint generated always as identity primary key,',
      '  name text not null,',
      '  email text,',
      '  amount numeric(12, 2) not null default 0,',
      '  created_at timestamptz not null default now()',
      ');',
      `create index ${t}_name_idx on ${t} (name);`,
    ].join('\n'),
    down: `drop table ${t};`,
  };
}

/** A linear chain of `count` revisions written with `migrate new`'s templates, reused when already there. */
function ensureFolder(root: string, kind: Kind, count: number): { dir: string; revisions: GeneratedRevision[] } {
  const dir = path.join(root, `engine-${kind}-${count}`);
  const stampFile = `${dir}.json`;
  const fresh = existsSync(stampFile) && existsSync(dir) && (JSON.parse(readFileSync(stampFile, 'utf8')) as { version: number }).version === GENERATOR_VERSION;
  if (!fresh) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const revisions: GeneratedRevision[] = [];
  let parent: string | undefined;
  for (let n = 1; n <= count; n++) {
    const id = idOf(kind, n);
    const b = bodies(kind, n);
    const stem = path.join(dir, `${id}_${b.message.replace(/[^a-z0-9]+/g, '_')}`);
    const rev: GeneratedRevision = {
      id, parents: parent ? [parent] : [], message: b.message,
      up: upTemplate(parent ? [parent] : [], b.message, true, b.up),
      down: downTemplate(id, b.message, true, b.down),
    };
    if (!fresh) {
      writeFileSync(`${stem}.up.sql`, rev.up);
      writeFileSync(`${stem}.down.sql`, rev.down);
    }
    revisions.push(rev);
    parent = id;
  }
  if (!fresh) writeFileSync(stampFile, JSON.stringify({ version: GENERATOR_VERSION, kind, count }) + '\n');
  return { dir, revisions };
}

/** The floor: what a DBA would run by hand with psql, with bookkeeping comparable to sqlrev's. */
function floorScript(revisions: readonly GeneratedRevision[]): string {
  const out = [
    'create schema floor;',
    'create table floor.revisions (',
    '  id text primary key,',
    '  parents text[] not null,',
    '  message text not null,',
    '  up_checksum text not null,',
    '  down_checksum text not null,',
    '  up_text text not null,',
    '  down_text text not null,',
    '  applied_at timestamptz not null default now()',
    ');',
  ];
  for (const r of revisions) {
    const up = normaliseText(r.up);
    const down = normaliseText(r.down);
    const parents = r.parents.length ? `array[${r.parents.map(quoteLiteral).join(', ')}]` : `'{}'::text[]`;
    out.push(
      'begin;',
      up.trimEnd(),
      `insert into floor.revisions (id, parents, message, up_checksum, down_checksum, up_text, down_text) values (${quoteLiteral(r.id)}, ${parents}, ${quoteLiteral(r.message)}, ${quoteLiteral(checksum(up))}, ${quoteLiteral(checksum(down))}, ${quoteLiteral(up)}, ${quoteLiteral(down)});`,
      'commit;',
    );
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- databases

function dbUrl(admin: string, name: string): string {
  const u = new URL(admin);
  u.pathname = '/' + name;
  return u.toString();
}

/** Run SQL with psql (never timed); returns stdout, unaligned, tuples only. */
function psql(url: string, sql: string): string {
  const r = spawnSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql: ${sql.slice(0, 200)}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

class Databases {
  private counter = 0;
  private readonly live = new Set<string>();
  constructor(readonly admin: string) {}

  create(template?: string): { name: string; url: string } {
    const name = `sqlrev_bench_${process.pid}_${++this.counter}`;
    psql(this.admin, `create database ${name}${template ? ` template ${template}` : ''}`);
    this.live.add(name);
    return { name, url: dbUrl(this.admin, name) };
  }

  drop(name: string): void {
    psql(this.admin, `drop database if exists ${name} with (force)`);
    this.live.delete(name);
  }

  dropAll(): void {
    for (const name of [...this.live]) {
      try { this.drop(name); } catch (err) { process.stderr.write(`could not drop ${name}: ${(err as Error).message}\n`); }
    }
  }
}

// ---------------------------------------------------------------- timing

interface Contender {
  name: string;
  /** The shell-style command, for the report. */
  shown: string;
  argv(url: string): [string, string[]];
  /** Why the run did not do its job, or undefined. Runs after the timing. */
  check(url: string): string | undefined;
}

interface Scenario {
  key: ScenarioKey;
  title: string;
  baseline: Contender;
  sqlrev: Contender;
  /** The database each run clones (default template1). */
  template?: string;
  /** Allowed ratio sqlrev / baseline. */
  target: number;
  revisions: number;
}

interface Result {
  scenario: ScenarioKey;
  title: string;
  revisions: number;
  target: number;
  baseline: Stats;
  sqlrev: Stats;
  /** Median of sqlrev divided by median of the baseline. */
  ratio: number;
  /** Median of the per-round ratios (each round runs both, back to back). */
  pairedRatio: number;
  /** Share of idle CPU measured just before each timed round. */
  idle: number[];
  /** Rounds that started although the machine stayed busy. */
  busyRounds: number;
}

interface Stats {
  name: string;
  command: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** Median user + system CPU seconds of the command's own process (GNU time), when measured. */
  cpuMedian?: number;
}

/** The environment of timed commands: no DATABASE_URL or NODE_OPTIONS to change what they do. */
function commandEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k.startsWith('SQLREV_') || k.startsWith('NODE_')) continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  return env;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%U', 'true'], { encoding: 'utf8' }).status === 0;

interface Timing {
  seconds: number;
  /** User + system CPU seconds of the process (not of the server working for it). */
  cpu?: number;
}

/**
 * One command, timed from spawn to exit (GNU time, when present, only adds
 * its own fork and records the child's CPU time); throws when it fails.
 */
function timed(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Timing {
  const cpuFile = path.join(cwd, 'cpu');
  const [file, argv] = hasGnuTime ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, [...args]];
  const start = performance.now();
  const r = spawnSync(file, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const seconds = (performance.now() - start) / 1000;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 2000)}`);
  if (!hasGnuTime) return { seconds };
  const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, cpu: user + sys };
}

interface Quiet {
  threshold: number;
  maxSeconds: number;
}

function runScenario(s: Scenario, dbs: Databases, runs: number, quiet: Quiet, cwd: string, log: (line: string) => void): Result {
  const env = commandEnv();
  const samples = new Map<Contender, Timing[]>([[s.baseline, []], [s.sqlrev, []]]);
  const idle: number[] = [];
  let busyRounds = 0;
  for (let round = 0; round <= runs; round++) {
    const order = round % 2 === 0 ? [s.baseline, s.sqlrev] : [s.sqlrev, s.baseline];
    // Both databases of the round are made first, so the two timed commands run back to back.
    const made = order.map(() => dbs.create(s.template));
    try {
      for (const db of made) psql(db.url, 'checkpoint');
      const q = round > 0 ? waitForIdle(quiet.threshold, quiet.maxSeconds, log) : { share: undefined, gaveUp: false };
      if (q.share !== undefined) idle.push(q.share);
      if (q.gaveUp) busyRounds++;
      const times: Timing[] = [];
      order.forEach((c, i) => {
        const [cmd, args] = c.argv(made[i].url);
        times.push(timed(cmd, args, cwd, env));
      });
      order.forEach((c, i) => {
        const problem = c.check(made[i].url);
        if (problem) throw new Error(`${s.key}: ${c.name} did not do its job: ${problem}`);
        if (round > 0) samples.get(c)!.push(times[i]);
      });
      log(`  ${s.key} ${round === 0 ? 'warm-up' : `run ${round}/${runs}`}${q.share === undefined ? '' : ` (${pct(q.share)} idle)`}: ${order.map((c, i) => `${c.name} ${times[i].seconds.toFixed(3)} s`).join(', ')}`);
    } finally {
      for (const db of made) dbs.drop(db.name);
    }
  }
  const stats = (c: Contender): Stats => {
    const ts = samples.get(c)!;
    const xs = ts.map((t) => t.seconds);
    const cpu = ts.map((t) => t.cpu).filter((x): x is number => x !== undefined);
    return { name: c.name, command: c.shown, samples: xs, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), cpuMedian: cpu.length ? median(cpu) : undefined };
  };
  const baseline = stats(s.baseline);
  const sqlrev = stats(s.sqlrev);
  return {
    scenario: s.key, title: s.title, revisions: s.revisions, target: s.target, baseline, sqlrev,
    ratio: sqlrev.median / baseline.median,
    pairedRatio: median(sqlrev.samples.map((x, i) => x / baseline.samples[i])),
    idle, busyRounds,
  };
}

// ---------------------------------------------------------------- report

interface Machine {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  os: string;
  node: string;
  postgres: string;
  psql: string;
  /** Which sqlrev was timed: the commit of the repository holding --bin, and whether src/ differs from it. */
  sqlrev: string;
}

function sqlrevVersion(bin: string): string {
  const root = path.resolve(path.dirname(bin), '..');
  const git = (...args: string[]) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return `${path.relative(repo, bin) || bin} (not in a git checkout)`;
  const dirty = git('status', '--porcelain', '--', 'src', 'sql').stdout.trim() !== '';
  return `commit ${head.stdout.trim()}${dirty ? ' with uncommitted changes in src/ or sql/' : ''}`;
}

function machine(admin: string, bin: string): Machine {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown CPU',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: psql(admin, 'show server_version'),
    psql: spawnSync('psql', ['--version'], { encoding: 'utf8' }).stdout.trim(),
    sqlrev: sqlrevVersion(bin),
  };
}

const f3 = (x: number) => x.toFixed(3);

function report(results: readonly Result[], m: Machine, runs: number): string {
  const lines = [
    `Machine: ${m.cpus} CPUs (nproc; ${m.cpuModel}), ${m.memGiB} GiB RAM, ${m.os}; PostgreSQL ${m.postgres} on 127.0.0.1 (TCP, fsync on); ${m.psql}; Node ${m.node}.`,
    `sqlrev at ${m.sqlrev}. Medians of ${runs} runs per command, each on a fresh database, timed as whole processes from spawn to exit.`,
    '',
    '| scenario | command | median (s) | min–max (s) | client CPU (s) | ratio | per-round ratio | target | |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const cpu = (x: Stats) => (x.cpuMedian === undefined ? 'n/a' : x.cpuMedian.toFixed(2));
    lines.push(`| ${r.title} | ${r.baseline.name} | ${f3(r.baseline.median)} | ${f3(r.baseline.min)}–${f3(r.baseline.max)} | ${cpu(r.baseline)} | 1.00 | | | |`);
    lines.push(`| | ${r.sqlrev.name} | ${f3(r.sqlrev.median)} | ${f3(r.sqlrev.min)}–${f3(r.sqlrev.max)} | ${cpu(r.sqlrev)} | **${r.ratio.toFixed(2)}** | ${r.pairedRatio.toFixed(2)} | ≤ ${r.target.toFixed(2)} | ${r.ratio <= r.target ? 'met' : 'MISSED'} |`);
  }
  lines.push('', '"ratio": median over median (the target applies to it). "per-round ratio": median of the ratios of the two commands run back to back in each round. "client CPU": user + system time of the command\'s own process (GNU time), not of the server.', '');
  for (const r of results) {
    const quiet = r.idle.length ? ` CPUs idle before the rounds: ${pct(Math.min(...r.idle))}–${pct(Math.max(...r.idle))}${r.busyRounds ? ` (${r.busyRounds} round(s) ran on a busy machine)` : ''}.` : '';
    const slots = bySlot(r);
    const slotNote = slots ? ` By position in the round: sqlrev/baseline ${slots.first.toFixed(2)} when each ran first, ${slots.second.toFixed(2)} when each ran second.` : '';
    if (r.scenario === 'noop') {
      lines.push(`- ${r.title}: sqlrev takes ${((r.sqlrev.median - r.baseline.median) * 1000).toFixed(0)} ms more than the bare postgres.js script.${quiet}${slotNote}`);
    } else {
      const per = ((r.sqlrev.median - r.baseline.median) * 1000) / r.revisions;
      lines.push(`- ${r.title}: ${per >= 0 ? '+' : '−'}${Math.abs(per).toFixed(2)} ms per revision against the floor (the floor: ${(r.baseline.median * 1000 / r.revisions).toFixed(2)} ms per revision).${quiet}${slotNote}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Medians split by the contender's place in its round (round r, counted from
 * 1, runs the baseline first when r is even): sqlrev over baseline among the
 * runs that went first, and among those that went second.
 */
function bySlot(r: Result): { first: number; second: number } | undefined {
  const baselineFirst = (i: number) => (i + 1) % 2 === 0;
  const where = (xs: number[], keep: (i: number) => boolean) => xs.filter((_, i) => keep(i));
  const sqlrevFirst = where(r.sqlrev.samples, (i) => !baselineFirst(i));
  const sqlrevSecond = where(r.sqlrev.samples, baselineFirst);
  const baseFirst = where(r.baseline.samples, baselineFirst);
  const baseSecond = where(r.baseline.samples, (i) => !baselineFirst(i));
  if (!sqlrevFirst.length || !sqlrevSecond.length || !baseFirst.length || !baseSecond.length) return undefined;
  return { first: median(sqlrevFirst) / median(baseFirst), second: median(sqlrevSecond) / median(baseSecond) };
}

function writeDocs(table: string, command: string): void {
  if (!existsSync(DOCS)) throw new Error(`${DOCS} does not exist: add an "Engine speed" section with the markers first`);
  const text = readFileSync(DOCS, 'utf8');
  const begin = text.indexOf(DOCS_BEGIN);
  const end = text.indexOf(DOCS_END);
  if (begin === -1 || end < begin) throw new Error(`${DOCS} has no ${DOCS_BEGIN} … ${DOCS_END} block in its "Engine speed" section`);
  const block = `${DOCS_BEGIN}\n\n${table}\nMeasured with \`${command}\`.\n\n`;
  writeFileSync(DOCS, text.slice(0, begin) + block + text.slice(end));
}

// ---------------------------------------------------------------- main

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'cli.js'))) throw new Error('build first: npm run build');
  const select1 = path.join(repo, 'dist', 'bench', 'lib', 'select1.js');
  const log = (line: string) => process.stderr.write(line + '\n');
  if (opts.fromJson) {
    const saved = JSON.parse(readFileSync(opts.fromJson, 'utf8')) as { machine: Machine; runs: number; results: Result[]; command?: string };
    const table = report(saved.results, saved.machine, saved.runs);
    process.stdout.write(table);
    if (opts.writeDocs) {
      writeDocs(table, saved.command ?? 'node dist/bench/engine.js');
      log(`wrote the table into ${path.relative(process.cwd(), DOCS)}`);
    }
    return;
  }
  const m = machine(opts.admin, opts.bin);
  if (opts.label) m.sqlrev = opts.label;
  log(`machine: ${JSON.stringify(m)}`);
  mkdirSync(opts.out, { recursive: true });
  const leftovers = psql(opts.admin, `select string_agg(datname, ' ') from pg_database where datname like 'sqlrev\\_bench\\_%'`);
  if (leftovers) log(`note: databases from other bench runs exist (${leftovers}); they are left alone`);

  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sqlrev-engine-bench-'));
  const dbs = new Databases(opts.admin);
  const results: Result[] = [];
  const quiet: Quiet = { threshold: opts.idle, maxSeconds: opts.idleWait };
  const count = (url: string, sql: string) => Number(psql(url, sql));
  const migrateUp = (dir: string): Contender => ({
    name: 'migrate up',
    shown: `node bin/migrate.js --db <url> --dir ${path.relative(repo, dir)} up -q`,
    argv: (url) => [process.execPath, [opts.bin, '--db', url, '--dir', dir, 'up', '-q']],
    check: () => undefined,
  });
  const floor = (script: string): Contender => ({
    name: 'floor (psql)',
    shown: `psql -X -q -v ON_ERROR_STOP=1 -d <url> -f ${path.relative(repo, script)}`,
    argv: (url) => ['psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script]],
    check: () => undefined,
  });
  const tables = `select count(*) from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace`;

  try {
    for (const key of opts.scenarios) {
      const kind: Kind = key === 'realistic' ? 'realistic' : 'trivial';
      const n = SIZES[kind];
      const { dir, revisions } = ensureFolder(opts.out, kind, n);
      const script = path.join(opts.out, `engine-${kind}-${n}.floor.sql`);
      writeFileSync(script, floorScript(revisions));
      log(`${key}: ${n} revisions in ${dir}`);

      if (key === 'noop') {
        // A template with every revision applied; each run clones it.
        const tpl = dbs.create();
        try {
          timed(process.execPath, [opts.bin, '--db', tpl.url, '--dir', dir, 'up', '-q'], cwd, commandEnv());
          if (count(tpl.url, 'select count(*) from sqlrev.revisions') !== n) throw new Error('the no-op template does not hold every revision');
          const upsLogged = count(tpl.url, `select count(*) from sqlrev.log where action = 'up'`);
          const scenario: Scenario = {
            key, title: `no-op up, ${n.toLocaleString('en-US')} applied`, revisions: n, target: 1.2, template: tpl.name,
            baseline: {
              name: 'node + postgres.js select 1', shown: 'node dist/bench/lib/select1.js <url>',
              argv: (url) => [process.execPath, [select1, url]],
              check: () => undefined,
            },
            sqlrev: {
              ...migrateUp(dir),
              check: (url) => {
                const applied = count(url, 'select count(*) from sqlrev.revisions');
                const logged = count(url, `select count(*) from sqlrev.log where action = 'up'`);
                return applied === n && logged === upsLogged ? undefined : `${applied} revisions recorded, ${logged} up actions logged (expected ${n} and ${upsLogged})`;
              },
            },
          };
          results.push(runScenario(scenario, dbs, opts.runs, quiet, cwd, log));
        } finally {
          dbs.drop(tpl.name);
        }
        continue;
      }

      const scenario: Scenario = {
        key,
        title: key === 'realistic' ? `${n} × CREATE TABLE + index` : `${n.toLocaleString('en-US')} × \`select n\``,
        revisions: n, target: key === 'realistic' ? 1.05 : 1.0,
        baseline: {
          ...floor(script),
          check: (url) => {
            const recorded = count(url, 'select count(*) from floor.revisions');
            const made = kind === 'realistic' ? count(url, tables) : n;
            return recorded === n && made === n ? undefined : `${recorded} rows recorded, ${made} tables made (expected ${n})`;
          },
        },
        sqlrev: {
          ...migrateUp(dir),
          check: (url) => {
            const recorded = count(url, 'select count(*) from sqlrev.revisions');
            const made = kind === 'realistic' ? count(url, tables) : n;
            return recorded === n && made === n ? undefined : `${recorded} revisions recorded, ${made} tables made (expected ${n})`;
          },
        },
      };
      results.push(runScenario(scenario, dbs, opts.runs, quiet, cwd, log));
    }
  } finally {
    dbs.dropAll();
    rmSync(cwd, { recursive: true, force: true });
  }

  const table = report(results, m, opts.runs);
  process.stdout.write(table);
  const argv = process.argv.slice(2).filter((a) => a !== '--write-docs');
  const shellWord = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const command = `node dist/bench/engine.js${argv.length ? ' ' + argv.map(shellWord).join(' ') : ''}`;
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ machine: m, runs: opts.runs, command, results }, null, 2) + '\n');
  if (opts.writeDocs) {
    writeDocs(table, command);
    log(`wrote the table into ${path.relative(process.cwd(), DOCS)}`);
  }
}

main();
