/**
 * The floor for an offline command: the least any Node program can do with a
 * migrations folder — list it, read every file, decode it as strict UTF-8,
 * hash it with sha256, take each up file's parent header and count the heads.
 * No problem reporting, no graph checks, no output. bench/offline.ts runs it
 * beside `migrate verify` to show how much of that command's time is the
 * machine's (system calls, hashing) rather than sqlrev's.
 *
 *   node dist/bench/floor.js <flat migrations folder>
 */
import { hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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
for (const name of names) {
  const text = decoder.decode(readFileSync(path.join(dir, name)));
  sums.push(hash('sha256', text, 'hex'));
  if (name.endsWith('.up.sql')) {
    const header = /^-- parent: (.*)$/m.exec(text)?.[1] ?? 'base';
    parents.set(name.slice(0, name.indexOf('_')), header === 'base' ? [] : header.split(' '));
  }
}
const withChildren = new Set([...parents.values()].flat());
const heads = [...parents.keys()].filter((id) => !withChildren.has(id));
process.stderr.write(`ok: ${parents.size} revision(s), ${heads.length} head(s), ${sums.length} files hashed\n`);
