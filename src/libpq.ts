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

export interface TlsSettings {
  /** The URL without the libpq-only parameters, which postgres.js would send to the server as settings. */
  url?: string;
  ssl: boolean | 'prefer' | 'require'
    | ({ ca?: string; rejectUnauthorized: boolean; host?: string; checkServerIdentity?: () => undefined } & Partial<ClientCert>);
}

/** URL parameters that are libpq's, not server settings. */
const LIBPQ_ONLY = ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword'];

/**
 * libpq's TLS settings, as a DBA expects them: `sslmode` and `sslrootcert`
 * from the URL, else PGSSLMODE and PGSSLROOTCERT; default `prefer`. postgres.js
 * reads neither variable, sends `sslrootcert` to the server as a setting,
 * treats `allow` as `require` and checks the host name under `verify-ca`.
 * Without sslrootcert, verify-* trust ~/.postgresql/root.crt when it
 * exists, else the system's certificate authorities. A client certificate
 * (clientCert) makes TLS required.
 */
export function tlsSettings(url: string | undefined, env: NodeJS.ProcessEnv, home = homedir()): TlsSettings {
  // Only the query is rewritten: postgres.js parses the rest (several hosts, sockets).
  const at = url?.indexOf('?') ?? -1;
  const query = new URLSearchParams(at >= 0 ? url!.slice(at + 1) : '');
  const ssl = query.get('ssl');
  const mode = query.get('sslmode') ?? (ssl === 'true' ? 'require' : ssl === 'false' ? 'disable' : ssl) ?? env.PGSSLMODE ?? 'prefer';
  const folder = libpqFolder(env, home);
  const rootCert = query.get('sslrootcert') ?? env.PGSSLROOTCERT ?? existing(path.join(folder, 'root.crt'));
  const given = { cert: query.get('sslcert') ?? env.PGSSLCERT, key: query.get('sslkey') ?? env.PGSSLKEY, passphrase: query.get('sslpassword') ?? undefined };
  for (const key of LIBPQ_ONLY) query.delete(key);
  const base = { url: at >= 0 ? url!.slice(0, at) + (query.size ? `?${query}` : '') : url };
  if (!SSL_MODES.includes(mode)) {
    throw usageError('bad-sslmode', `sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`, { hint: 'set sslmode in the URL or PGSSLMODE' });
  }
  if (mode === 'disable') return { ...base, ssl: false };
  const client = clientCert(given, folder, mode === 'require' || mode.startsWith('verify'));
  // libpq's allow tries without TLS first; both fall back, so prefer is the nearest.
  if (mode === 'allow' || mode === 'prefer' || mode === 'require') {
    if (client) return { ...base, ssl: { rejectUnauthorized: false, ...client } };
    return { ...base, ssl: mode === 'require' ? 'require' : 'prefer' };
  }
  let ca: string | undefined;
  if (rootCert && rootCert !== 'system') ca = readTlsFile('sslrootcert', rootCert);
  if (mode === 'verify-ca') return { ...base, ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined, ...client } };
  // postgres.js sends no server name for an IP address, and Node then checks
  // the certificate against "localhost": name the host for the check ourselves.
  const hosts = hostsOf(url, env);
  if (hosts.length > 1 && hosts.some((h) => isIP(h))) {
    throw usageError('bad-sslmode', 'sslmode=verify-full cannot check several hosts given as IP addresses', { hint: 'name the hosts by their DNS names, as in their certificates' });
  }
  return { ...base, ssl: { ca, rejectUnauthorized: true, ...(hosts.length === 1 ? { host: hosts[0] } : {}), ...client } };
}

/** libpq's folder for root.crt and the default client certificate: ~/.postgresql, %APPDATA%\postgresql on Windows. */
function libpqFolder(env: NodeJS.ProcessEnv, home: string): string {
  return process.platform === 'win32' ? path.join(env.APPDATA ?? home, 'postgresql') : path.join(home, '.postgresql');
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
function clientCert(given: { cert?: string | null; key?: string | null; passphrase?: string }, folder: string, tlsRequired: boolean): ClientCert | undefined {
  if (given.cert === '') return undefined;
  let certFile = given.cert ?? undefined;
  if (!certFile) {
    if (!tlsRequired) return undefined;
    certFile = existing(path.join(folder, 'postgresql.crt'));
    if (!certFile) return undefined;
  }
  // libpq's default key whether the certificate is the default one or not.
  const keyFile = given.key ?? path.join(folder, 'postgresql.key');
  const cert = readTlsFile('sslcert', certFile);
  const key = readTlsFile('sslkey', keyFile);
  const st = statSync(keyFile);
  // libpq: 0600 or less, or 0640 or less when root owns the key.
  if (process.platform !== 'win32' && (st.mode & (st.uid === 0 ? 0o037 : 0o077)) !== 0) {
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
