/**
 * The floor for an offline command: the least a single-threaded Node program
 * can do with a migrations folder — list it, read every file (open, one read
 * into a reused buffer, close), decode it as strict UTF-8, hash it with
 * sha256, take each up file's parent header and count the heads. No problem
 * reporting, no graph checks, no output. bench/offline.ts runs it beside
 * `migrate verify` to show how much of that command's time is the machine's
 * (system calls, hashing) rather than sqlrev's. (sqlrev reads large folders
 * with a second thread, so on an idle machine it can go below this floor.)
 *
 *   node dist/bench/floor.js <flat migrations folder>
 */
import { hash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node dist/bench/floor.js <folder>');
const decoder = new TextDecoder('utf-8', { fatal: true });
const names = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isFile() && d.name.endsWith('.sql'))
  .map((d) => d.name)
  .sort();
const parents = new Map<string, string[]>();
const sums: string[] = [];
// The synthetic files are far smaller than the buffer: one read each.
const buffer = new Uint8Array(1 << 20);
for (const name of names) {
  const fd = openSync(path.join(dir, name), 'r');
  const n = readSync(fd, buffer, 0, buffer.length, null);
  closeSync(fd);
  if (n === buffer.length) throw new Error(`${name} is larger than the floor's buffer`);
  const text = decoder.decode(buffer.subarray(0, n));
  sums.push(hash('sha256', text, 'hex'));
  if (name.endsWith('.up.sql')) {
    const header = /^-- parent: (.*)$/m.exec(text)?.[1] ?? 'base';
    parents.set(name.slice(0, name.indexOf('_')), header === 'base' ? [] : header.split(' '));
  }
}
const withChildren = new Set([...parents.values()].flat());
const heads = [...parents.keys()].filter((id) => !withChildren.has(id));
process.stderr.write(`ok: ${parents.size} revision(s), ${heads.length} head(s), ${sums.length} files hashed\n`);
