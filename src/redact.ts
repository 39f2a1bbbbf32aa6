import { userInfo } from 'node:os';

/**
 * Keeping passwords out of everything sqlrev prints: URLs shown with `***`
 * for the password, and messages scrubbed of any password they contain.
 * Kept apart from db.ts so that commands without a database load no driver.
 */

/** Whether a URL query parameter may hold a secret (password, sslpassword, any name with "pass"): its value is never shown. */
export function isSecretParameter(key: string): boolean {
  return /pass/i.test(key);
}

/** The URL with its password (and any password parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (isSecretParameter(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/(pass\w*=)[^&\s]*/gi, '$1***');
  }
}

/** Remove every occurrence of the password from a message, whatever put it there. */
export function scrub(message: string, url: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let out = message;
  const secrets: string[] = [];
  if (url) {
    try {
      const u = new URL(url);
      if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
      for (const [key, value] of u.searchParams) if (isSecretParameter(key) && value) secrets.push(value);
    } catch { /* not a URL: nothing to extract */ }
    out = out.split(url).join(redactUrl(url));
  }
  if (env.PGPASSWORD) secrets.push(env.PGPASSWORD);
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join('***');
  return out;
}

export function describeTarget(url: string | undefined, env: NodeJS.ProcessEnv = process.env, database?: string): string {
  if (url) {
    if (!database) return redactUrl(url);
    try {
      const u = new URL(url);
      u.pathname = '/' + encodeURIComponent(database);
      return redactUrl(u.toString());
    } catch {
      return `${redactUrl(url)} (database ${database})`;
    }
  }
  // libpq's defaults: the operating-system user, and a database of the same name.
  const user = env.PGUSER ?? userInfo().username;
  const host = env.PGHOST ?? 'localhost';
  return `postgres://${user}@${host}:${env.PGPORT ?? 5432}/${database ?? env.PGDATABASE ?? user} (from PG* variables)`;
}
