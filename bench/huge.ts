/**
 * One huge revision (issue 6, "huge files"): `migrate up` of a file of about
 * --mb megabytes of single-row INSERTs, against a real PostgreSQL on this
 * machine, with the peak memory of the migrator and of its server backend.
 *
 *   npm run build && node dist/bench/huge.js [--mb 100] [--admin postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Peak memory is each process's VmHWM (high-water resident set) from
 * /proc/<pid>/status, polled every 50 ms while the command runs, so Linux
 * only and the server must run on this machine. The backend is found in
 * pg_stat_activity by the database's name. Then the same file runs through
 * `psql -1 -f` for comparison (the floor: no bookkeeping, nothing stored).
 * The database is dropped at the end; the generated folder stays in
 * bench/out/huge-<mb>/ (git-ignored) and is reused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

const mb = Number(option('--mb', '100'));
const admin = option('--admin', process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const folder = path.join(repo, 'bench', 'out', `huge-${mb}`);

/** The revision: CREATE TABLE, then INSERTs of about 90 bytes each up to `mb` MB. Returns the row count. */
function generate(): number {
  const up = path.join(folder, '0001_huge.up.sql');
  const marker = path.join(folder, 'rows');
  if (existsSync(marker)) return Number(readFileSync(marker, 'utf8'));
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, '0001_huge.down.sql'), 'drop table huge;\n');
  const fd = openSync(up, 'w');
  writeSync(fd, '-- parent: base\n-- message: a huge revision of INSERTs\ncreate table huge (id int primary key, payload text);\n');
  const pad = 'x'.repeat(60);
  let size = 0;
  let rows = 0;
  while (size < mb * 1e6) {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++, rows++) lines.push(`insert into huge values (${rows}, '${pad}');\n`);
    const chunk = lines.join('');
    writeSync(fd, chunk);
    size += chunk.length;
  }
  closeSync(fd);
  writeFileSync(marker, String(rows));
  return rows;
}

function peakKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone
  }
}

/** Run a command to completion, polling its peak RSS and its backend's. */
async function measure(cmd: string, args: string[], sql: postgres.Sql, db: string) {
  const started = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  let client = 0;
  let backend = 0;
  let backendPid: number | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let done = false;
  void exited.then(() => { done = true; });
  while (!done) {
    client = Math.max(client, peakKb(child.pid!));
    if (backendPid === undefined) {
      const rows = await sql`select pid from pg_stat_activity where datname = ${db} and pid <> pg_backend_pid()`;
      backendPid = rows[0]?.pid;
    }
    if (backendPid !== undefined) backend = Math.max(backend, peakKb(backendPid));
    await new Promise((r) => setTimeout(r, 50));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stderr}`);
  return { seconds: (performance.now() - started) / 1000, clientMb: client / 1024, backendMb: backend / 1024 };
}

async function main(): Promise<void> {
  const rows = generate();
  const bytes = readFileSync(path.join(folder, '0001_huge.up.sql')).length;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  const db = `sqlrev_bench_huge_${process.pid}`;
  const url = new URL(admin);
  url.pathname = `/${db}`;
  try {
    await sql.unsafe(`create database ${db}`);
    const migrate = await measure(process.execPath, [path.join(repo, 'bin', 'migrate.js'), '--dir', folder, '--db', url.href, 'up'], sql, db);
    const check = postgres(url.href, { max: 1 });
    const [{ count }] = await check`select count(*)::int as count from huge`;
    const [{ stored }] = await check`select length(up_text) as stored from sqlrev.revisions`;
    await check.end();
    if (count !== rows) throw new Error(`expected ${rows} rows, found ${count}`);
    await sql.unsafe(`drop database ${db} with (force)`);
    await sql.unsafe(`create database ${db}`);
    const hasPsql = spawnSync('psql', ['--version']).status === 0;
    const floor = hasPsql
      ? await measure('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', path.join(folder, '0001_huge.up.sql'), url.href], sql, db)
      : undefined;
    const fmt = (m: { seconds: number; clientMb: number; backendMb: number }) =>
      `${m.seconds.toFixed(1)} s, client peak ${m.clientMb.toFixed(0)} MB, server backend peak ${m.backendMb.toFixed(0)} MB`;
    console.log(`file: ${(bytes / 1e6).toFixed(1)} MB, ${rows.toLocaleString('en')} INSERTs (stored text: ${Number(stored).toLocaleString('en')} characters)`);
    console.log(`migrate up:  ${fmt(migrate)}`);
    if (floor) console.log(`psql -1 -f:  ${fmt(floor)}`);
  } finally {
    await sql.unsafe(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await sql.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
