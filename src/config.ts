/**
 * Settings resolved in one place, with the contract's precedence:
 * flags > environment > config file (`sqlrev.json`) > defaults.
 * `resolveConfig` is pure; `readConfigFile` is the only disk access.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usageError } from './errors.js';

export const CONFIG_FILE = 'sqlrev.json';
export const DEFAULTS = { dir: 'migrations', schema: 'sqlrev', lockTimeout: 300 } as const;
const FILE_KEYS = ['$schema', 'dir', 'schema', 'db', 'lockTimeout'] as const;

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface Config {
  dir: string;
  schema: string;
  /** Connection URL, `embedded`, or undefined when only libpq PG* variables (or nothing) say where. */
  db?: string;
  /** True when some setting names a database (DESIGN §9: otherwise offline commands stay offline). */
  dbConfigured: boolean;
  lockTimeout: number;
  /** Where each setting came from, for `migrate config` and error messages. */
  sources: Record<'dir' | 'schema' | 'db' | 'lockTimeout', Source | 'libpq'>;
  configFile?: string;
}

export interface ConfigFlags {
  dir?: string;
  schema?: string;
  db?: string;
  lockTimeout?: string | number;
}

export interface ConfigFile {
  path: string;
  values: { dir?: string; schema?: string; db?: string; lockTimeout?: number };
}

/** Combine flags, environment and the config file. Pure. */
export function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, file?: ConfigFile, cwd = '.'): Config {
  const fileDir = file ? path.dirname(file.path) : '.';
  const pick = <T>(flag: T | undefined, envValue: T | undefined, fileValue: T | undefined, fallback: T): [T, Source] => {
    if (flag !== undefined && flag !== '') return [flag, 'flag'];
    if (envValue !== undefined && envValue !== '') return [envValue, 'env'];
    if (fileValue !== undefined) return [fileValue, 'file'];
    return [fallback, 'default'];
  };
  const [dirRaw, dirSource] = pick(flags.dir, env.SQLREV_DIR, file?.values.dir, DEFAULTS.dir);
  // A relative `dir` in a config file is relative to that file, not to the working folder.
  const dir = dirSource === 'file' ? path.relative(cwd, path.resolve(cwd, fileDir, dirRaw)) || '.' : dirRaw;
  const [schema, schemaSource] = pick(flags.schema, env.SQLREV_SCHEMA, file?.values.schema, DEFAULTS.schema);
  checkSchemaName(schema, schemaSource === 'flag' ? '--schema' : schemaSource === 'env' ? 'SQLREV_SCHEMA' : `"schema" in ${path.basename(file?.path ?? CONFIG_FILE)}`);
  const [timeoutRaw, timeoutSource] = pick<string | number>(flags.lockTimeout, env.SQLREV_LOCK_TIMEOUT, file?.values.lockTimeout, DEFAULTS.lockTimeout);
  const lockTimeout = seconds(timeoutRaw, timeoutSource === 'flag' ? '--lock-timeout' : timeoutSource === 'env' ? 'SQLREV_LOCK_TIMEOUT' : 'lockTimeout');

  let db: string | undefined;
  let dbSource: Source | 'libpq' = 'default';
  if (flags.db) [db, dbSource] = [flags.db, 'flag'];
  else if (env.DATABASE_URL) [db, dbSource] = [env.DATABASE_URL, 'env'];
  else if (hasLibpqVariables(env)) dbSource = 'libpq';
  else if (file?.values.db) [db, dbSource] = [file.values.db, 'file'];

  return {
    dir, schema, db, lockTimeout,
    dbConfigured: dbSource !== 'default',
    sources: { dir: dirSource, schema: schemaSource, db: dbSource, lockTimeout: timeoutSource },
    configFile: file?.path,
  };
}

/** PostgreSQL's NAMEDATALEN - 1: the server silently truncates longer names. */
export const MAX_NAME_BYTES = 63;

/**
 * The state schema's name: any text PostgreSQL can store as a name (it is
 * always quoted). Too long would be truncated by the server, so that two
 * configured names would share one schema's state; NUL cannot travel at all,
 * and no other control character belongs in a name.
 */
export function checkSchemaName(name: string, where = 'the schema option'): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  const problem = name === '' ? 'is empty'
    // A line break would also end the `--` comments of --sql output that name the schema.
    : /[\u0000-\u001f\u007f]/.test(name) ? 'contains a control character (NUL, a line break, a tab…)'
    : bytes > MAX_NAME_BYTES ? `is ${bytes} bytes long; PostgreSQL names hold at most ${MAX_NAME_BYTES} and would cut it short` : undefined;
  if (problem) throw usageError('bad-schema-name', `the state schema name given by ${where} ${problem}`, { hint: 'choose a shorter name, e.g. --schema sqlrev' });
  return name;
}

function hasLibpqVariables(env: NodeJS.ProcessEnv): boolean {
  return ['PGHOST', 'PGDATABASE', 'PGPORT', 'PGUSER', 'PGSERVICE'].some((k) => env[k]);
}

/** A non-negative number of seconds, or a usage error naming where it came from. */
export function seconds(value: string | number, where: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0 || (typeof value === 'string' && value.trim() === '')) {
    throw usageError('bad-option', `${where} must be a number of seconds, got "${value}"`, {
      hint: `e.g. ${where.startsWith('--') ? `${where} 60` : `${where}: 60`}`,
    });
  }
  return n;
}

/**
 * Read `sqlrev.json` (or the file given with --config). A missing default
 * file is fine; a missing explicit one, bad JSON or an unknown key is a usage error.
 */
export function readConfigFile(explicit: string | undefined, cwd = process.cwd()): ConfigFile | undefined {
  const file = explicit ?? path.join(cwd, CONFIG_FILE);
  const shown = path.relative(cwd, file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError('config-unreadable', `cannot read config file ${shown}: ${(err as Error).message}`, {
      file: shown,
      hint: explicit ? 'check the --config path' : undefined,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw usageError('config-invalid', `not valid JSON: ${(err as Error).message}`, { file: shown });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw usageError('config-invalid', 'the config file must hold a JSON object', { file: shown });
  }
  const values: ConfigFile['values'] = {};
  for (const [key, value] of Object.entries(data)) {
    if (!(FILE_KEYS as readonly string[]).includes(key)) {
      throw usageError('config-invalid', `unknown key "${key}"`, {
        file: shown,
        hint: `known keys: ${FILE_KEYS.filter((k) => k !== '$schema').join(', ')}`,
      });
    }
    if (key === '$schema') continue;
    if (key === 'lockTimeout') {
      if (typeof value !== 'number') throw usageError('config-invalid', 'lockTimeout must be a number of seconds', { file: shown });
      values.lockTimeout = value;
    } else {
      if (typeof value !== 'string' || value === '') throw usageError('config-invalid', `${key} must be a non-empty string`, { file: shown });
      values[key as 'dir' | 'schema' | 'db'] = value;
    }
  }
  return { path: file, values };
}
