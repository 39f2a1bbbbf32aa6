/** A project folder plus a fresh database, for integration tests of the executable. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrate, type CliResult } from './cli.js';
import { tempProject } from './folder.js';
import { withDatabase } from './pg.js';

/** A revision whose up creates table t_<id> and whose down drops it, so tables mirror the applied set. */
export function rev(id: string, parents: string, body: { up?: string; down?: string } = {}): Record<string, string> {
  return {
    [`${id}_r.up.sql`]: `-- parent: ${parents}\n${body.up ?? `create table t_${id} ();`}\n`,
    [`${id}_r.down.sql`]: `${body.down ?? `drop table t_${id};`}\n`,
  };
}

export interface Scene {
  cwd: string;
  dir: string;
  url: string;
  /** `migrate …` with DATABASE_URL set to the scene's database. */
  run(...args: string[]): Promise<CliResult>;
  write(name: string, text: string): void;
  /** The path of a file in the migrations folder. */
  file(name: string): string;
}

/** A project folder with `files` and a fresh database; both removed afterwards. */
export async function scene(files: Record<string, string>, fn: (s: Scene) => Promise<void>): Promise<void> {
  const p = tempProject(files);
  try {
    await withDatabase((url) => fn({
      cwd: p.cwd, dir: p.dir, url,
      run: (...args) => migrate(args, { cwd: p.cwd, env: { DATABASE_URL: url } }),
      write: (name, text) => writeFileSync(path.join(p.dir, name), text),
      file: (name) => path.join(p.dir, name),
    }));
  } finally {
    p.cleanup();
  }
}
