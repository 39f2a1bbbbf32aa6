/**
 * `migrate up --backup DIR`: a pg_dump of the database before anything is
 * applied. The password travels in the environment (PGPASSWORD), never on
 * pg_dump's command line where other users of the machine could see it.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, SqlrevError, usageError } from './errors.js';
import { scrub } from './redact.js';

/** Write a custom-format dump of the database to DIR and return its path. */
export async function backup(url: string | undefined, dir: string, label: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `sqlrev-backup-${stamp}-before-${label}.dump`);
  const childEnv: NodeJS.ProcessEnv = { ...env };
  const args = ['--format=custom', '--no-password', `--file=${file}`];
  if (url) {
    const u = new URL(url);
    if (u.password) childEnv.PGPASSWORD = decodeURIComponent(u.password);
    u.password = '';
    args.push(`--dbname=${u.toString()}`);
  }
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('pg_dump', args, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(usageError('pg-dump-missing', '--backup needs pg_dump, and it is not on PATH; nothing was applied', {
          hint: 'install the PostgreSQL client tools (e.g. apt-get install postgresql-client) or drop --backup',
        }));
      } else reject(e);
    });
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  if (code !== 0) {
    const message = scrub(stderr.trim(), url, childEnv);
    throw new SqlrevError('backup-failed', EXIT.sqlFailed, `pg_dump failed, so nothing was applied: ${message}`, {
      hint: /version mismatch/i.test(message) ? 'use a pg_dump at least as new as the server' : 'fix the cause, or run without --backup',
    });
  }
  return file;
}
