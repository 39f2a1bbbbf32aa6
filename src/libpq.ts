/**
 * Connection settings read the way libpq reads them, from the URL and the
 * PG* variables, where postgres.js reads them differently or not at all:
 * TLS (sslmode, sslrootcert) and connect_timeout.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
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

export interface TlsSettings {
  /** The URL without the libpq-only parameters, which postgres.js would send to the server as settings. */
  url?: string;
  ssl: boolean | 'prefer' | 'require' | { ca?: string; rejectUnauthorized: true; host?: string; checkServerIdentity?: () => undefined };
}

/**
 * libpq's TLS settings, as a DBA expects them: `sslmode` and `sslrootcert`
 * from the URL, else PGSSLMODE and PGSSLROOTCERT; default `prefer`. postgres.js
 * reads neither variable, sends `sslrootcert` to the server as a setting,
 * treats `allow` as `require` and checks the host name under `verify-ca`.
 * Without sslrootcert, verify-* trust the system's certificate authorities.
 */
export function tlsSettings(url: string | undefined, env: NodeJS.ProcessEnv): TlsSettings {
  // Only the query is rewritten: postgres.js parses the rest (several hosts, sockets).
  const at = url?.indexOf('?') ?? -1;
  const query = new URLSearchParams(at >= 0 ? url!.slice(at + 1) : '');
  const ssl = query.get('ssl');
  const mode = query.get('sslmode') ?? (ssl === 'true' ? 'require' : ssl === 'false' ? 'disable' : ssl) ?? env.PGSSLMODE ?? 'prefer';
  const rootCert = query.get('sslrootcert') ?? env.PGSSLROOTCERT;
  for (const key of ['sslmode', 'ssl', 'sslrootcert']) query.delete(key);
  const base = { url: at >= 0 ? url!.slice(0, at) + (query.size ? `?${query}` : '') : url };
  if (!SSL_MODES.includes(mode)) {
    throw usageError('bad-sslmode', `sslmode "${mode}" is not one of ${SSL_MODES.join(', ')}`, { hint: 'set sslmode in the URL or PGSSLMODE' });
  }
  if (mode === 'disable') return { ...base, ssl: false };
  // libpq's allow tries without TLS first; both fall back, so prefer is the nearest.
  if (mode === 'allow' || mode === 'prefer' || mode === 'require') return { ...base, ssl: mode === 'require' ? 'require' : 'prefer' };
  let ca: string | undefined;
  if (rootCert && rootCert !== 'system') {
    try {
      ca = readFileSync(rootCert, 'utf8');
    } catch (err) {
      throw usageError('bad-sslrootcert', `cannot read sslrootcert ${rootCert}: ${(err as Error).message}`);
    }
  }
  if (mode === 'verify-ca') return { ...base, ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } };
  // postgres.js sends no server name for an IP address, and Node then checks
  // the certificate against "localhost": name the host for the check ourselves.
  const hosts = hostsOf(url, env);
  if (hosts.length > 1 && hosts.some((h) => isIP(h))) {
    throw usageError('bad-sslmode', 'sslmode=verify-full cannot check several hosts given as IP addresses', { hint: 'name the hosts by their DNS names, as in their certificates' });
  }
  return { ...base, ssl: { ca, rejectUnauthorized: true, ...(hosts.length === 1 ? { host: hosts[0] } : {}) } };
}

/** The host names a URL (or PGHOST) gives, read as postgres.js reads them. */
export function hostsOf(url: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const authority = url ? url.slice(url.indexOf('://') + 3).split(/[?/]/)[0] : '';
  const list = decodeURIComponent(authority.slice(authority.indexOf('@') + 1)) || env.PGHOST || 'localhost';
  return list.split(',').map((h) => (h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.split(':')[0]));
}
