/** Assertions on what a migrator left in a database, shared by the integration tests. */
import * as assert from 'uvu/assert';
import type { CliResult } from './cli.js';
import { query } from './pg.js';

/** Asserts the exit code, showing what the command printed when it differs. */
export function exits(r: CliResult, code: number, what = ''): void {
  assert.is(r.code, code, `${what} exit ${r.code}, expected ${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

/** Ids recorded in sqlrev.revisions, sorted; [] when the state schema does not exist. */
export async function appliedIds(url: string): Promise<string[]> {
  const [{ exists }] = await query(url, `select to_regclass('sqlrev.revisions') is not null as exists`);
  if (!exists) return [];
  return (await query(url, 'select id from sqlrev.revisions order by id')).map((r) => r.id);
}

/** Tables in public, sorted. */
export async function tables(url: string): Promise<string[]> {
  const rows = await query(url, `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' order by 1`);
  return rows.map((r) => r.relname);
}
