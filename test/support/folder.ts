/** Temporary project folders written from a map of file names to contents. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FileEntry } from '../../src/files.js';

/** A project folder with `migrations/` holding `files`; remove it with cleanup(). */
export function tempProject(files: Record<string, string | Uint8Array> = {}): { cwd: string; dir: string; cleanup(): void } {
  const cwd = mkdtempSync(path.join(tmpdir(), 'sqlrev-test-'));
  const dir = path.join(cwd, 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { cwd, dir, cleanup: () => rmSync(cwd, { recursive: true, force: true }) };
}

/** In-memory entries for the pure loader: `{ 'x.up.sql': text }` → FileEntry[] under `migrations/`. */
export function entries(files: Record<string, string | Uint8Array>): FileEntry[] {
  return Object.entries(files).map(([name, text]) => ({
    path: `migrations/${name}`,
    bytes: typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
  }));
}

/** The two files of a simple revision: `pair('0002', '0001')`. */
export function pair(id: string, parents: string, upBody = `select '${id}' as id;`, slug = 'rev'): Record<string, string> {
  return {
    [`${id}_${slug}.up.sql`]: `-- parent: ${parents}\n\n${upBody}\n`,
    [`${id}_${slug}.down.sql`]: `-- down of ${id}\n`,
  };
}
