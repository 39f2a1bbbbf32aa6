/**
 * Alembic beside sqlrev on the same machine, offline: times `alembic heads`
 * and `alembic history` on Alembic projects of N revisions, and `migrate
 * verify` and `migrate history` on sqlrev folders of the same N and shape
 * (the same ids and parents, from bench/synthetic.ts), all as whole
 * processes, start-up included. Issue 2 states its aim relative to Alembic
 * ("20,000 revisions verified and listed at least 20x faster"); this gives
 * that Alembic figure for the machine the sqlrev figures come from.
 *
 *   npm run build && node dist/bench/alembic.js [--sizes 1000,10000,20000,100000]
 *     [--shapes linear,branchy] [--runs 3] [--out bench/out] [--json FILE]
 *     [--python /usr/bin/python3]   (a Python with the alembic package)
 *     [--bin bin/migrate.js] [--idle 0.5] [--idle-wait 60] [--skip-after 30]
 *     [--commands heads,history,verify,migrate-history]   (a subset: alembic heads,
 *     alembic history, migrate verify, migrate history)
 *   node dist/bench/alembic.js --render FILE...   (the report of runs saved with --json, in one table)
 *
 * Alembic is not a dependency of sqlrev: install it only to run this, e.g.
 * `apt-get install -y python3-alembic` on Debian (exit 2 when it is missing).
 *
 * Projects go to `<out>/alembic-<shape>-<n>/` (alembic.ini, env.py,
 * versions/), sqlrev folders to `<out>/<shape>-<n>/`; both are written once
 * and reused. Each command first runs once with its output checked (Alembic:
 * exactly the expected heads, and one history line per revision; sqlrev: all
 * revisions ok, one history line per revision); a wrong answer stops the
 * benchmark with exit 1. The first run of each Alembic command starts
 * without versions/__pycache__, so it compiles every revision file and writes
 * the cache, which the timed runs then use, as a developer's repeated runs
 * would; its wall time is reported too ("first run").
 * A size is skipped, and says so, when a smaller one already took Alembic
 * more than --skip-after seconds for one run (a larger one would take many
 * minutes per command).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pct, waitForIdle } from './lib/idle.js';
import { checkFolderOptions, folderOption, type FolderOptions } from './lib/options.js';
import { GNU_TIME, hasGnuTime, measure, type Cmd, type Measured } from './lib/timing.js';
import { ensureFolder, revisionsOf, SHAPES, type Shape, type SyntheticRevision } from './synthetic.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Bump when the generated Alembic projects change, so old ones are rebuilt. */
const PROJECT_VERSION = 1;
/** The relative aim of issue 2: sqlrev at least this many times faster than Alembic at 20,000 revisions. */
const AIM_FACTOR = 20;
const AIM_SIZE = 20000;
/** `heads` and `history` are Alembic's, `verify` and `migrate-history` sqlrev's. */
const COMMANDS = ['heads', 'history', 'verify', 'migrate-history'];

interface Options extends FolderOptions {
  python: string;
  /** How long to wait at most for idle CPUs before each command, in seconds. */
  idleWait: number;
  /** Which of COMMANDS to run. */
  commands: string[];
  /** Skip the sizes above one where an Alembic command took longer than this (seconds, one run). */
  skipAfter: number;
}

type Tool = 'alembic' | 'sqlrev' | 'python' | 'node';

/** Medians (wall, CPU, max RSS) and the range of wall times, once timed. */
interface Row extends Partial<Measured> {
  shape: Shape | '-';
  revisions: number;
  tool: Tool;
  command: string;
  /** Wall time of the untimed check run (for Alembic: the one that compiles the revision files). */
  first?: number;
  idle?: number;
}

interface Skip {
  shape: Shape;
  revisions: number;
  why: string;
}

interface Results {
  machine: string;
  alembic: string;
  python: string;
  load: { before: string; after: string };
  /** Timed runs per command (several numbers when saved runs are rendered together). */
  runs: number | string;
  rows: Row[];
  skipped: Skip[];
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = {
    sizes: [1000, 10000, 20000, 100000], shapes: [...SHAPES], runs: 3,
    out: path.join(repo, 'bench', 'out'), bin: path.join(repo, 'bin', 'migrate.js'),
    python: '/usr/bin/python3', idle: 0.5, idleWait: 60, skipAfter: 30, commands: [...COMMANDS],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (folderOption(opts, argv[i], value)) continue;
    switch (argv[i]) {
      case '--python': opts.python = value; break;
      case '--skip-after': opts.skipAfter = Number(value); break;
      case '--idle-wait': opts.idleWait = Number(value); break;
      case '--commands': opts.commands = value.split(','); break;
      default: throw new Error(`unknown argument ${argv[i]} (see the comment at the top of bench/alembic.ts)`);
    }
  }
  opts.sizes.sort((a, b) => a - b);
  checkFolderOptions(opts);
  if (opts.commands.some((c) => !COMMANDS.includes(c))) throw new Error(`--commands takes ${COMMANDS.join(', ')}`);
  return opts;
}

/** The environment without what could point either tool elsewhere: a database, Node or Python flags, sqlrev settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k.startsWith('PG') || k.startsWith('SQLREV_') || k.startsWith('NODE_') || k.startsWith('PYTHON')) continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  return env;
}

// ---------------------------------------------------------------------------
// The Alembic project: what `alembic init` and `alembic revision` would leave,
// minus the template (not needed: the revision files are written here).

const INI = `[alembic]
script_location = %(here)s
# Never connected to: heads and history are offline commands.
sqlalchemy.url = postgresql://localhost/unused
`;

/** Offline commands (heads, history) never run it; \`upgrade --sql\` would work without a database. */
const ENV_PY = `"""Alembic environment of the sqlrev benchmark project (no models, no database for offline commands)."""
from alembic import context

config = context.config


def offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def online() -> None:
    from sqlalchemy import engine_from_config, pool

    engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    offline()
else:
    online()
`;

const pyStr = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One revision file in the shape `alembic revision -m <message>` gives, with an op.execute body. */
function revisionFile(rev: SyntheticRevision, n: number): string {
  const created = new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString().replace('T', ' ').replace('Z', '000');
  const down = rev.parents.length === 0 ? 'None' : rev.parents.length === 1 ? pyStr(rev.parents[0]) : `(${rev.parents.map(pyStr).join(', ')})`;
  const merge = rev.parents.length > 1;
  const up = merge
    ? '    pass'
    : [
      '    op.execute(',
      `        """create table t${n} (`,
      '  id bigint generated always as identity primary key,',
      '  name text not null,',
      '  created_at timestamptz not null default now()',
      `);\ncreate index t${n}_created_at on t${n} (created_at);"""`,
      '    )',
    ].join('\n');
  const undo = merge ? '    pass' : `    op.execute("drop table t${n}")`;
  return [
    `"""${rev.message}`,
    '',
    `Revision ID: ${rev.id}`,
    `Revises: ${rev.parents.join(', ')}`,
    `Create Date: ${created}`,
    '',
    '"""',
    'from alembic import op',
    'import sqlalchemy as sa',
    '',
    '',
    '# revision identifiers, used by Alembic.',
    `revision = ${pyStr(rev.id)}`,
    `down_revision = ${down}`,
    'branch_labels = None',
    'depends_on = None',
    '',
    '',
    'def upgrade() -> None:',
    up,
    '',
    '',
    'def downgrade() -> None:',
    undo,
    '',
  ].join('\n');
}

interface Project {
  dir: string;
  ini: string;
  revisions: number;
  /** The ids without children, sorted. */
  heads: string[];
  built: boolean;
}

function headsOf(revs: readonly SyntheticRevision[]): string[] {
  const parents = new Set(revs.flatMap((r) => r.parents));
  return revs.map((r) => r.id).filter((id) => !parents.has(id)).sort();
}

/** Write `root/alembic-<shape>-<count>/` unless it already holds this version's output. */
function ensureAlembicProject(root: string, shape: Shape, count: number): Project {
  const dir = path.join(root, `alembic-${shape}-${count}`);
  const ini = path.join(dir, 'alembic.ini');
  const stampFile = `${dir}.json`;
  const revs = revisionsOf(shape, count);
  const heads = headsOf(revs);
  if (existsSync(stampFile) && existsSync(ini)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { version: number };
    if (stamp.version === PROJECT_VERSION) return { dir, ini, revisions: count, heads, built: false };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'versions'), { recursive: true });
  writeFileSync(ini, INI);
  writeFileSync(path.join(dir, 'env.py'), ENV_PY);
  revs.forEach((rev, n) => {
    const slug = rev.message.replace(/[^a-z0-9]+/g, '_');
    writeFileSync(path.join(dir, 'versions', `${rev.id}_${slug}.py`), revisionFile(rev, n));
  });
  writeFileSync(stampFile, JSON.stringify({ version: PROJECT_VERSION, revisions: count, heads }, null, 2) + '\n');
  return { dir, ini, revisions: count, heads, built: true };
}

// ---------------------------------------------------------------------------
// Running and timing whole processes.

/** One untimed run, stdout to a file; returns stdout, stderr and the wall time. Throws on a non-zero exit. */
function outputOf(cmd: Cmd, env: NodeJS.ProcessEnv, scratch: string): { stdout: string; stderr: string; wall: number } {
  const outFile = path.join(scratch, 'stdout');
  const fd = openSync(outFile, 'w');
  const start = performance.now();
  const r = spawnSync(cmd.exe, cmd.args, { cwd: scratch, env, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30 });
  closeSync(fd);
  const wall = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cmd.exe} ${cmd.args.join(' ')} exited ${r.status} after ${wall.toFixed(2)} s: ${r.stderr.slice(0, 2000)}`);
  return { stdout: readFileSync(outFile, 'utf8'), stderr: r.stderr, wall };
}

/** Why the output is wrong, or undefined. */
function checkAlembic(command: string, stdout: string, project: Project): string | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (command === 'heads') {
    const got = lines.map((l) => l.split(' ')[0]).sort();
    if (got.join(' ') !== project.heads.join(' ') || !lines.every((l) => l.endsWith('(head)'))) {
      return `alembic heads printed ${JSON.stringify(lines.slice(0, 5))}${lines.length > 5 ? ` (${lines.length} lines)` : ''}, expected ${project.heads.map((h) => `${h} (head)`).join(', ')}`;
    }
  }
  if (command === 'history') {
    if (lines.length !== project.revisions) return `alembic history printed ${lines.length} lines for ${project.revisions} revisions`;
    if (!lines[0].includes(`-> ${project.heads[0]} (head)`)) return `alembic history starts with ${JSON.stringify(lines[0])}, not the head ${project.heads[0]}`;
    if (!lines[lines.length - 1].startsWith('<base> ->')) return `alembic history ends with ${JSON.stringify(lines[lines.length - 1])}, not <base>`;
  }
  return undefined;
}

function checkSqlrev(command: string, out: { stdout: string; stderr: string }, revisions: number): string | undefined {
  if (command === 'verify' && !out.stderr.includes(`ok: ${revisions} revision(s)`)) return `migrate verify did not report ${revisions} revisions ok: ${out.stderr.slice(0, 300)}`;
  const lines = out.stdout.split('\n').filter(Boolean).length;
  if (command === 'history' && lines !== revisions) return `migrate history printed ${lines} lines for ${revisions} revisions`;
  return undefined;
}

// ---------------------------------------------------------------------------
// The report.

const secs = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));
const count = (n: number) => (n ? n.toLocaleString('en-US') : '-');
const label = (r: Row) => (r.tool === 'alembic' ? `alembic ${r.command}` : r.tool === 'sqlrev' ? `migrate ${r.command}` : r.command);

function table(rows: readonly Row[]): string {
  const out = [
    '| shape | revisions | command | wall, median (s) | wall, range (s) | CPU, median (s) | max RSS (MB) | first run, wall (s) |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    out.push(`| ${r.shape} | ${count(r.revisions)} | \`${label(r)}\` | ${secs(r.wall)} | ${r.wallMin === undefined ? '' : `${secs(r.wallMin)}–${secs(r.wallMax)}`} | ${secs(r.cpu)} | ${r.rssMb === undefined ? 'n/a' : r.rssMb.toFixed(0)} | ${r.first === undefined ? '' : r.first.toFixed(2)} |`);
  }
  return out.join('\n');
}

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(1)}×`);

/** Alembic ÷ sqlrev, wall and CPU: heads against verify, history against history. */
function ratios(rows: readonly Row[]): string {
  const find = (shape: Shape | '-', n: number, tool: Tool, command: string) => rows.find((r) => r.shape === shape && r.revisions === n && r.tool === tool && r.command === command);
  const out = [
    '| shape | revisions | `alembic heads` ÷ `migrate verify`, wall | same, CPU | `alembic history` ÷ `migrate history`, wall | same, CPU | `alembic heads` per revision above start-up (ms) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const start = rows.find((r) => r.tool === 'alembic' && r.command === '--version')?.wall;
  for (const r of rows) {
    if (r.tool !== 'alembic' || r.command !== 'heads' || r.shape === '-') continue;
    const verify = find(r.shape, r.revisions, 'sqlrev', 'verify');
    const ah = find(r.shape, r.revisions, 'alembic', 'history');
    const sh = find(r.shape, r.revisions, 'sqlrev', 'history');
    const perRev = start !== undefined && r.wall !== undefined ? (((r.wall - start) * 1000) / r.revisions).toFixed(3) : '';
    out.push(`| ${r.shape} | ${count(r.revisions)} | ${ratio(r.wall, verify?.wall)} | ${ratio(r.cpu, verify?.cpu)} | ${ratio(ah?.wall, sh?.wall)} | ${ratio(ah?.cpu, sh?.cpu)} | ${perRev} |`);
  }
  return out.join('\n');
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function report(res: Results): string {
  const { rows } = res;
  const shares = rows.map((r) => r.idle).filter((x): x is number => x !== undefined);
  const idle = shares.length ? `CPUs ${pct(Math.min(...shares))}–${pct(Math.max(...shares))} idle just before each command's runs` : 'CPU idle share not measured';
  const lines = [
    `Machine: ${res.machine}. Load average before ${res.load.before}, after ${res.load.after}.`,
    `Alembic ${res.alembic} on ${res.python}. Medians of ${res.runs} warm runs; ${idle}.`,
    '',
    table(rows),
    '',
    ratios(rows),
    '',
  ];
  for (const s of res.skipped) lines.push(`- ${s.shape} ${count(s.revisions)} skipped: ${s.why}`);
  for (const shape of SHAPES) {
    const heads = rows.find((r) => r.shape === shape && r.revisions === AIM_SIZE && r.tool === 'alembic' && r.command === 'heads');
    if (heads?.wall === undefined) continue;
    const aim = heads.wall / AIM_FACTOR;
    const got = ['verify', 'history'].map((c) => rows.find((r) => r.shape === shape && r.revisions === AIM_SIZE && r.tool === 'sqlrev' && r.command === c));
    const verdicts = got.map((r) => (r?.wall === undefined ? '' : `\`migrate ${r.command}\` ${secs(r.wall)} s (${r.wall <= aim ? 'met' : 'missed'}: ${ratio(heads.wall, r.wall)} faster than \`alembic heads\`)`)).filter(Boolean);
    lines.push(`- ${shape}, ${count(AIM_SIZE)} revisions: \`alembic heads\` ${secs(heads.wall)} s, so ${AIM_FACTOR}× faster is ≤ ${aim.toFixed(3)} s; ${verdicts.join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------

/** Several saved runs as one: rows in run order, a row already given by an earlier run left out. */
function merge(runs: readonly Results[]): Results {
  if (runs.length === 0) throw new Error('--render takes one or more files saved with --json');
  const rows: Row[] = [];
  const key = (r: Row) => `${r.shape} ${r.revisions} ${r.tool} ${r.command}`;
  for (const run of runs) for (const r of run.rows) if (!rows.some((x) => key(x) === key(r))) rows.push(r);
  const order = (r: Row) => (r.shape === '-' ? -1 : SHAPES.indexOf(r.shape)) * 1e9 + r.revisions;
  rows.sort((a, b) => order(a) - order(b)); // stable: each size keeps its commands' order
  const runsOf = [...new Set(runs.map((r) => r.runs))].join(' or ');
  return {
    ...runs[0], rows, skipped: runs.flatMap((r) => r.skipped).filter((s) => !rows.some((r) => r.shape === s.shape && r.revisions === s.revisions && r.tool === 'alembic')),
    load: { before: runs.map((r) => r.load.before).join('; '), after: runs.map((r) => r.load.after).join('; ') },
    runs: runsOf,
  };
}

function alembicVersion(python: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(python, ['-c', 'import alembic, sys; print(alembic.__version__); print(sys.version.split()[0])'], { env, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [v, py] = r.stdout.trim().split('\n');
  return `${v}|${py}`;
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--render') {
    process.stdout.write(report(merge(argv.slice(1).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results))));
    return;
  }
  const opts = parseArgs(argv);
  const env = cleanEnv();
  const found = alembicVersion(opts.python, env);
  if (!found) {
    process.stderr.write(
      `alembic is not installed for ${opts.python} (it is not a dependency of sqlrev; this benchmark alone needs it).\n` +
        'Install it, e.g. on Debian or Ubuntu: apt-get install -y python3-alembic (for /usr/bin/python3),\n' +
        'or: pip install alembic, and pass that Python with --python.\n',
    );
    process.exit(2);
  }
  const [alembic, pyVersion] = found.split('|');
  if (!existsSync(opts.bin)) throw new Error(`no ${opts.bin}: build first (npm run build)`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'sqlrev-alembic-'));
  const log = (s: string) => process.stderr.write(s + '\n');
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const loadBefore = load();
  log(`machine: ${machine()}; alembic ${alembic}, Python ${pyVersion} (${opts.python}); load average ${loadBefore}`);
  if (!hasGnuTime) log(`no GNU time at ${GNU_TIME}: CPU time and max RSS are not measured`);
  const py = (...args: string[]): Cmd => ({ exe: opts.python, args });
  const node = (...args: string[]): Cmd => ({ exe: process.execPath, args });
  const rows: Row[] = [];
  const skipped: Skip[] = [];
  const timeRow = (row: Row, cmd: Cmd) => {
    row.idle = waitForIdle(opts.idle, opts.idleWait, log).share;
    Object.assign(row, measure(cmd, opts.runs, env, scratch));
    rows.push(row);
    log(`${row.shape} ${row.revisions} ${label(row)}: wall ${secs(row.wall)} s, CPU ${secs(row.cpu)} s, ${row.rssMb?.toFixed(0) ?? 'n/a'} MB${row.first !== undefined ? ` (first run ${row.first.toFixed(2)} s)` : ''}`);
  };
  try {
    // Start-up baselines.
    for (const [tool, command, cmd] of [
      ['python', 'python3 -c pass', py('-c', 'pass')],
      ['alembic', '--version', py('-m', 'alembic', '--version')],
      ['node', 'node -e 0', node('-e', '0')],
      ['sqlrev', '--version', node(opts.bin, '--version')],
    ] as const) {
      outputOf(cmd, env, scratch);
      timeRow({ shape: '-', revisions: 0, tool, command }, cmd);
    }
    for (const shape of opts.shapes) {
      let slowest = 0;
      let slowestAt = 0;
      for (const n of opts.sizes) {
        if (slowest > opts.skipAfter) {
          const why = `one run of Alembic on ${count(slowestAt)} revisions already took ${slowest.toFixed(1)} s (over --skip-after ${opts.skipAfter} s)`;
          skipped.push({ shape, revisions: n, why });
          log(`${shape} ${n}: skipped, ${why}`);
          continue;
        }
        let t0 = performance.now();
        const project = ensureAlembicProject(opts.out, shape, n);
        if (project.built) log(`wrote ${project.dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        t0 = performance.now();
        const folder = ensureFolder(opts.out, shape, n);
        if (folder.built) log(`wrote ${folder.dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        for (const command of ['heads', 'history'].filter((c) => opts.commands.includes(c))) {
          const cmd = py('-m', 'alembic', '-c', project.ini, command);
          const row: Row = { shape, revisions: n, tool: 'alembic', command };
          // The check run comes after the wait; it starts without __pycache__, so it compiles every
          // revision file (its wall time is "first run"), and leaves the page cache and __pycache__
          // filled for the timed runs.
          rmSync(path.join(project.dir, 'versions', '__pycache__'), { recursive: true, force: true });
          row.idle = waitForIdle(opts.idle, opts.idleWait, log).share;
          const out = outputOf(cmd, env, scratch);
          row.first = out.wall;
          const wrong = checkAlembic(command, out.stdout, project);
          if (wrong) throw new Error(`the Alembic project ${project.dir} is not what was meant: ${wrong}`);
          timeRow(row, cmd);
          slowest = Math.max(slowest, row.wallMax ?? 0);
          slowestAt = n;
        }
        for (const command of ['verify', 'history'].filter((c) => opts.commands.includes(c === 'history' ? 'migrate-history' : c))) {
          const cmd = node(opts.bin, '--dir', folder.dir, command);
          const row: Row = { shape, revisions: n, tool: 'sqlrev', command };
          waitForIdle(opts.idle, opts.idleWait, log);
          const out = outputOf(cmd, env, scratch);
          row.first = out.wall;
          const wrong = checkSqlrev(command, out, folder.stats.revisions);
          if (wrong) throw new Error(`${folder.dir}: ${wrong}`);
          timeRow(row, cmd);
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const results: Results = {
    machine: machine(), alembic, python: `Python ${pyVersion} (${opts.python})`,
    load: { before: loadBefore, after: load() }, runs: opts.runs, rows, skipped,
  };
  process.stdout.write(report(results));
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
}

main();
