/**
 * libpq's password file (`~/.pgpass`, or PGPASSFILE; on Windows
 * `%APPDATA%\postgresql\pgpass.conf`), which postgres.js does not read:
 * lines of `host:port:database:user:password`, `*` matching anything in
 * the first four fields, `\:` and `\\` for a colon or backslash, `#` lines
 * for comments. The first line that matches the connection gives the
 * password. It is asked for only when the server wants a password and none
 * was given (URL, PGPASSWORD), and on Unix the file is ignored when group
 * or others may read it, as libpq does. `passfile=` in the URL comes first.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { libpqFolder, safeHome } from './libpq.js';

export interface PgpassLine {
  /** host, port, database, user: a value, or null for `*` (any). */
  fields: [string | null, string | null, string | null, string | null];
  password: string;
  /** 1-based line in the file. */
  line: number;
}

/** The connection a password is wanted for, as libpq matches it. */
export interface PgpassTarget {
  host: string;
  port: string;
  database: string;
  user: string;
}

/** Where the password file is: PGPASSFILE, else libpq's place for this platform. */
export function pgpassPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home?: string): string | undefined {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  // Looked up only here: a process without a home folder has no password file (as with libpq).
  const own = home ?? safeHome();
  if (platform === 'win32') {
    const folder = libpqFolder(env, own, platform);
    return folder === undefined ? undefined : path.win32.join(folder, 'pgpass.conf');
  }
  return own === undefined ? undefined : path.join(own, '.pgpass');
}

/**
 * The lines of a password file that have all five fields, in order (others
 * are skipped, as by libpq). A field ends at an unescaped colon, the
 * password too (what follows it is ignored); only a bare `*` is a wildcard.
 */
export function parsePgpass(text: string): PgpassLine[] {
  const lines: PgpassLine[] = [];
  text.split('\n').forEach((raw, i) => {
    // libpq drops every CR at the end of a line.
    let end = raw.length;
    while (end > 0 && raw.charCodeAt(end - 1) === 13) end--;
    const line = raw.slice(0, end);
    if (line === '' || line.startsWith('#')) return;
    const fields: (string | null)[] = [];
    let current = '';
    let escaped = false;
    for (let k = 0; k <= line.length && fields.length < 5; k++) {
      const ch = line[k];
      if (ch === '\\' && k + 1 < line.length) {
        current += line[++k];
        escaped = true;
      } else if (ch === ':' || ch === undefined) {
        fields.push(current === '*' && !escaped ? null : current);
        current = '';
        escaped = false;
      } else current += ch;
    }
    if (fields.length < 5) return;
    const [host, port, database, user, password] = fields;
    lines.push({ fields: [host, port, database, user], password: password ?? '*', line: i + 1 });
  });
  return lines;
}

/** The password of the first line matching `target`; an empty one counts as none, as in libpq. */
export function matchPgpass(lines: readonly PgpassLine[], target: PgpassTarget): PgpassLine | undefined {
  const wanted = [target.host, target.port, target.database, target.user];
  const first = lines.find((l) => l.fields.every((f, i) => f === null || f === wanted[i]));
  return first?.password ? first : undefined;
}

/**
 * The host a password file line must name: the host itself over TCP; for a
 * Unix socket, `localhost` when the socket is in a usual default folder
 * (libpq's is built in: /tmp upstream, /var/run/postgresql on Debian), else
 * the socket folder.
 */
export function pgpassHost(host: string): string {
  if (host === '' || DEFAULT_SOCKET_DIRS.has(host.replace(/\/+$/, ''))) return 'localhost';
  return host;
}

const DEFAULT_SOCKET_DIRS = new Set(['/tmp', '/var/run/postgresql', '/run/postgresql']);

/** What a read of the password file found: its lines, or why it was not used. */
export type PgpassFile = { file: string; lines: PgpassLine[] } | { file: string; ignored: string };

/** Read the password file; undefined when there is none (the usual case). */
export function readPgpass(file: string, platform: NodeJS.Platform = process.platform): PgpassFile | undefined {
  let mode: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return { file, ignored: 'it is not a plain file' };
    mode = st.mode;
  } catch {
    return undefined;
  }
  // libpq does not check permissions on Windows, where they mean something else.
  if (platform !== 'win32' && (mode & 0o077) !== 0) {
    return { file, ignored: `group or others may read it (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}` };
  }
  try {
    return { file, lines: parsePgpass(readFileSync(file, 'utf8')) };
  } catch (err) {
    return { file, ignored: (err as Error).message };
  }
}

/** The parts of postgres.js's parsed options that choose a password file line. */
export interface ConnectionParams {
  host: readonly string[];
  port: readonly number[];
  database: string;
  user: string;
}

/** The password for a connection from the file, and a note for the hint when the server refuses a login. */
export interface PgpassAnswer {
  password: string;
  /** Where the password came from, or why the file gave none; undefined when there is no file. */
  note?: string;
}

/**
 * The password the file gives for `conn`. Never throws: postgres.js asks
 * for it inside its authentication handler, where an error would be
 * unhandled. A URL naming several hosts gets a password only when the file
 * gives the same one for each (postgres.js does not say which host it is
 * logging in to).
 */
export function passwordFromFile(conn: ConnectionParams, env: NodeJS.ProcessEnv, passfile?: string): PgpassAnswer {
  const file = passfile ?? pgpassPath(env);
  const read = file === undefined ? undefined : readPgpass(file);
  if (!read) return { password: '' };
  if ('ignored' in read) return { password: '', note: `the password file ${read.file} was not used: ${read.ignored}` };
  const found = conn.host.map((host, i) => {
    const target = { host: pgpassHost(host), port: String(conn.port[i] ?? conn.port[0] ?? 5432), database: conn.database, user: conn.user };
    return { target, line: matchPgpass(read.lines, target) };
  });
  if (new Set(found.map((f) => f.line?.password ?? '')).size > 1) {
    return { password: '', note: `the password file ${read.file} does not give the same password for every host of this URL, and sqlrev cannot tell which host it logs in to: give the password in the URL or PGPASSWORD` };
  }
  const hit = found.find((f) => f.line)?.line;
  if (!hit) {
    const wanted = found.map(({ target: t }) => `${t.host}:${t.port}:${t.database}:${t.user}`).join(', ');
    return { password: '', note: `no line of the password file ${read.file} matches ${wanted}` };
  }
  return { password: hit.password, note: `the password came from ${read.file} line ${hit.line}` };
}

/** Whether the URL or PGPASSWORD gives a password (an empty one does not count, as in libpq and postgres.js). */
export function passwordGiven(url: string | undefined, env: NodeJS.ProcessEnv): boolean {
  // Not new URL(): it refuses the host list of a multi-host URL.
  const userinfo = url ? /^[^:/?#]+:\/\/([^/?#]*)@/.exec(url)?.[1] : undefined;
  const colon = userinfo?.indexOf(':') ?? -1;
  return (colon >= 0 && colon < userinfo!.length - 1) || Boolean(env.PGPASSWORD);
}
