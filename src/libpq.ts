/**
 * Connection settings read the way libpq reads them, from the URL and the
 * PG* variables, where postgres.js reads them differently or not at all:
 * TLS (sslmode, sslrootcert, client certificates) and connect_timeout.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { usageError } from './errors.js';
import { isSecretParameter } from './redact.js';

/** Seconds for one connection attempt: the option, else libpq's connect_timeout (URL, then PGCONNECT_TIMEOUT), else 10. */
export function connectTimeout(options: { url?: string; connectTimeoutSeconds?: number }, env: NodeJS.ProcessEnv): number {
  // Not new URL(): it refuses the host list of a multi-host URL.
  const fromUrl = options.url ? /[?&]connect_timeout=([^&#]*)/.exec(options.url)?.[1] : undefined;
  const seconds = Number(options.connectTimeoutSeconds ?? fromUrl ?? env.PGCONNECT_TIMEOUT ?? 10);
  // libpq treats 0 (and nonsense) as "wait forever"; a migrator must not hang, so it keeps the default.
  return Number.isFinite(seconds) && seconds > 0 ? Math.max(1, Math.round(seconds)) : 10;
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** A client certificate and its key, for tls.connect. */
interface ClientCert {
  cert: string;
  key: string;
  passphrase?: string;
}

export interface LibpqSettings {
  /** The URL without the libpq-only parameters, which postgres.js would send to the server as settings. */
  url?: string;
  ssl: boolean | 'prefer' | 'require'
    | ({ ca?: string; rejectUnauthorized: boolean; host?: string; checkServerIdentity?: () => undefined } & Partial<ClientCert>);
  /** `password=` in the URL's query (libpq's keyword), for postgres.js's own option. */
  password?: string;
  /** `passfile=` in the URL's query: the password file, before PGPASSFILE. */
  passfile?: string;
}

/** URL parameters that are libpq's, not server settings, and that sqlrev reads (fallback_application_name is dropped: sqlrev names itself). */
const LIBPQ_READ = ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'password', 'passfile', 'fallback_application_name'];
/** libpq's parameters that sqlrev does not implement: refused, rather than sent to the server as settings it does not know. */
const LIBPQ_REFUSED = [
  'hostaddr', 'require_auth', 'channel_binding', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count',
  'tcp_user_timeout', 'replication', 'gssencmode', 'sslcompression', 'sslcertmode', 'sslcrl', 'sslcrldir', 'sslsni',
  'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname', 'gsslib', 'gssdelegation', 'service',
  'load_balance_hosts', 'dbname', 'host', 'port', 'user',
];

/**
 * The query of a URL as libpq reads it: `%XX` decoded, `+` left as it is
 * (URLSearchParams would read it as a space, and spoil a passphrase or a
 * path like c++/key.pem). The URL without the parameters `drop` keeps the
 * others exactly as written.
 */
function readQuery(url: string | undefined, drop: readonly string[]): { get: (key: string) => string | undefined; rest: string | undefined } {
  const at = url?.indexOf('?') ?? -1;
  if (!url || at < 0) return { get: () => undefined, rest: url };
  const values = new Map<string, string>();
  const kept: string[] = [];
  for (const part of url.slice(at + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      value = decodeURIComponent(eq < 0 ? '' : part.slice(eq + 1));
    } catch {
      throw usageError('bad-url', `the database URL's query has a malformed %-escape in "${redactQueryPart(part)}"`, { hint: 'percent-encode special characters as %XX' });
    }
    if (drop.includes(key)) {
      if (!values.has(key)) values.set(key, value);
    } else kept.push(part);
  }
  return { get: (key) => values.get(key), rest: url.slice(0, at) + (kept.length ? `?${kept.join('&')}` : '') };
}

function redactQueryPart(part: string): string {
  const key = part.split('=')[0];
  return isSecretParameter(key) ? `${key}=***` : part;
}

/**
 * libpq's settings, as a DBA expects them, where postgres.js reads them
 * differently or not at all: `sslmode` and `sslrootcert` from the URL, else
 * PGSSLMODE and PGSSLROOTCERT, default `prefer`; client certificates; and
 * `password`/`passfile` in the query. postgres.js reads neither variable,
 * sends `sslrootcert` and the others to the server as settings, treats
 * `allow` as `require` and checks the host name under `verify-ca`. Without
 * sslrootcert, verify-* trust ~/.postgresql/root.crt when it exists, else the
 * system's certificate authorities; `require` with a root certificate file
 * verifies the chain, as libpq's verify-ca. A client certificate
 * (clientCert) makes TLS required.
 */
export function libpqSettings(url: string | undefined, env: NodeJS.ProcessEnv, home: string | null = safeHome() ?? null): LibpqSettings {
  const query = readQuery(url, [...LIBPQ_READ, ...LIBPQ_REFUSED]);
  const refused = LIBPQ_REFUSED.filter((key) => query.get(key) !== undefined);
  if (refused.length) {
    throw usageError('unsupported-parameter', `the database URL sets ${refused.map((k) => `"${k}"`).join(', ')}, which sqlrev does not support (libpq ${refused.length === 1 ? 'parameter' : 'parameters'})`, {
      hint: 'remove it from the URL; sqlrev reads host, port, user and database from the URL itself, and the TLS and password settings its docs list',
    });
  }
  const ssl = query.get('ssl');
  const mode = query.get('sslmode') ?? (ssl === 'true' ? 'require' : ssl === 'false' ? 'disable' : ssl) ?? env.PGSSLMODE ?? 'prefer';
  const folder = libpqFolder(env, home ?? undefined);
  const rootCert = query.get('sslrootcert') ?? env.PGSSLROOTCERT ?? (folder && existing(path.join(folder, 'root.crt')));
  // An empty sslcert or sslkey is unset, as in libpq.
  const given = { cert: query.get('sslcert') || env.PGSSLCERT || undefined, key: query.get('sslkey') || env.PGSSLKEY || undefined, passphrase: query.get('sslpassword') || undefined };
  const base = { url: query.rest, password: query.get('password') || undefined, passfile: query.get('passfile') || undefined };
  if (!SSL_MODES.includes(mode)) {
    throw usageError('bad-sslmode', `sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`, { hint: 'set sslmode in the URL or PGSSLMODE' });
  }
  if (mode === 'disable') return { ...base, ssl: false };
  const client = clientCert(given, folder, mode === 'require' || mode.startsWith('verify'));
  if (mode === 'require' && rootCert === 'system') {
    throw usageError('bad-sslmode', 'sslrootcert=system needs sslmode=verify-full (or verify-ca), as in libpq', { hint: 'use sslmode=verify-full' });
  }
  // libpq: under require, a root certificate file that exists makes it verify-ca.
  const verifyRequire = mode === 'require' && rootCert !== undefined && existing(rootCert) !== undefined;
  // libpq's allow tries without TLS first; both fall back, so prefer is the nearest.
  if ((mode === 'allow' || mode === 'prefer' || mode === 'require') && !verifyRequire) {
    if (client) return { ...base, ssl: { rejectUnauthorized: false, ...client } };
    return { ...base, ssl: mode === 'require' ? 'require' : 'prefer' };
  }
  let ca: string | undefined;
  if (rootCert && rootCert !== 'system') ca = readTlsFile('sslrootcert', rootCert);
  if (mode === 'verify-ca' || verifyRequire) return { ...base, ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined, ...client } };
  // postgres.js sends no server name for an IP address, and Node then checks
  // the certificate against "localhost": name the host for the check ourselves.
  const hosts = hostsOf(url, env);
  if (hosts.length > 1 && hosts.some((h) => isIP(h))) {
    throw usageError('bad-sslmode', 'sslmode=verify-full cannot check several hosts given as IP addresses', { hint: 'name the hosts by their DNS names, as in their certificates' });
  }
  return { ...base, ssl: { ca, rejectUnauthorized: true, ...(hosts.length === 1 ? { host: hosts[0] } : {}), ...client } };
}

/** The home folder, or undefined when there is none (no HOME and no password-database entry): then libpq's files there are not looked for. */
export function safeHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/**
 * libpq's per-user folder, for root.crt and the default client certificate
 * (and pgpass.conf on Windows): ~/.postgresql, %APPDATA%\postgresql on
 * Windows; undefined without a home folder (or APPDATA).
 */
export function libpqFolder(env: NodeJS.ProcessEnv, home: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') {
    const base = env.APPDATA ?? home;
    return base === undefined ? undefined : path.win32.join(base, 'postgresql');
  }
  return home === undefined ? undefined : path.join(home, '.postgresql');
}

function existing(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client certificate: `sslcert`/`sslkey` from the URL, else PGSSLCERT/
 * PGSSLKEY, used whatever the mode (but disable); else libpq's default files
 * postgresql.crt/.key in ~/.postgresql when they exist, used only when TLS
 * is required anyway (require, verify-*), so that a server without TLS still
 * takes a `prefer` connection. A key that group or others may read is
 * refused, as libpq does.
 */
function clientCert(given: { cert?: string; key?: string; passphrase?: string }, folder: string | undefined, tlsRequired: boolean): ClientCert | undefined {
  let certFile = given.cert;
  if (!certFile) {
    if (!tlsRequired || folder === undefined) return undefined;
    certFile = existing(path.join(folder, 'postgresql.crt'));
    if (!certFile) return undefined;
  }
  // libpq's default key whether the certificate is the default one or not.
  const keyFile = given.key ?? (folder === undefined ? undefined : path.join(folder, 'postgresql.key'));
  if (keyFile === undefined) throw usageError('bad-sslkey', `the client certificate ${certFile} has no key: give sslkey=FILE in the URL or PGSSLKEY`);
  const cert = readTlsFile('sslcert', certFile);
  const key = readTlsFile('sslkey', keyFile);
  const st = statSync(keyFile);
  // libpq: 0600 or less when the key is the user's own, 0640 or less when root owns it (checked in that order).
  const own = process.getuid?.() === st.uid;
  const loose = own ? st.mode & 0o077 : st.uid === 0 ? st.mode & 0o037 : 0;
  if (process.platform !== 'win32' && loose !== 0) {
    throw usageError('bad-sslkey', `the private key file ${keyFile} has group or world access (mode ${(st.mode & 0o777).toString(8)})`, {
      hint: `chmod 600 ${keyFile} (libpq refuses it too)`,
    });
  }
  // Checked here, where a mistake is a clear configuration error (exit 2), not a failed handshake.
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw usageError('bad-sslcert', `the client certificate ${certFile} cannot be read as a certificate: ${(err as Error).message}`);
  }
  try {
    const privateKey = createPrivateKey({ key, ...(given.passphrase ? { passphrase: given.passphrase } : {}) });
    if (!x509.checkPrivateKey(privateKey)) throw new Error(`it is not the key of ${certFile}`);
  } catch (err) {
    const encrypted = /passphrase|decrypt/i.test((err as Error).message);
    throw usageError('bad-sslkey', `the private key ${keyFile} cannot be used: ${(err as Error).message}`, {
      hint: encrypted ? 'give its passphrase with sslpassword=… in the URL' : 'give the key that belongs to the certificate (sslkey=FILE or PGSSLKEY)',
    });
  }
  return { cert, key, ...(given.passphrase ? { passphrase: given.passphrase } : {}) };
}

function readTlsFile(what: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`bad-${what}`, `cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** The host names a URL (or PGHOST) gives, read as postgres.js reads them. */
export function hostsOf(url: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const authority = url ? url.slice(url.indexOf('://') + 3).split(/[?/]/)[0] : '';
  const list = decodeURIComponent(authority.slice(authority.indexOf('@') + 1)) || env.PGHOST || 'localhost';
  return list.split(',').map((h) => (h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.split(':')[0]));
}
