/**
 * libpq's TLS settings (src/libpq.ts) beyond sslmode: client certificates
 * from the URL, the PG* variables or ~/.postgresql, their checks before any
 * connection, and ~/.postgresql/root.crt. The handshake itself is tested
 * against a server in test/security-connection.test.ts.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { libpqSettings as tlsSettings } from '../src/libpq.js';
import { makeClientCerts, type ClientCerts } from './support/certs.js';

const t = suite('libpq TLS settings');
let dir = '';
let certs: ClientCerts | undefined;

t.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sqlrev-libpq-'));
  certs = makeClientCerts(dir, 'deploy');
  if (!certs) process.stderr.write('libpq: client certificate tests skipped (openssl could not make certificates)\n');
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

const URL = 'postgres://deploy@db.example.com:5432/app';
const noHome = '/nonexistent/sqlrev-home';

function ssl(url: string, env: NodeJS.ProcessEnv = {}, home: string | null = noHome): Exclude<ReturnType<typeof tlsSettings>['ssl'], boolean | string> {
  const got = tlsSettings(url, env, home).ssl;
  assert.type(got, 'object', `ssl for ${url}`);
  return got as Exclude<typeof got, boolean | string>;
}

/** A home folder whose ~/.postgresql holds copies of `files` (name in the folder -> source), the key private. */
function homeWith(name: string, files: Record<string, string>): string {
  const home = path.join(dir, name);
  const folder = path.join(home, '.postgresql');
  mkdirSync(folder, { recursive: true });
  for (const [target, source] of Object.entries(files)) copyFileSync(source, path.join(folder, target));
  if ('postgresql.key' in files) chmodSync(path.join(folder, 'postgresql.key'), 0o600);
  return home;
}

function refused(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; message: string };
    assert.is(e.code, code, e.message);
    assert.match(e.message, message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

t('sslcert and sslkey from the URL or PGSSLCERT/PGSSLKEY go to the handshake, and leave the URL', () => {
  if (!certs) return;
  const c = certs;
  const settings = tlsSettings(`${URL}?sslmode=require&sslcert=${c.cert}&sslkey=${c.key}&application_name=x`, {}, noHome);
  assert.is(settings.url, `${URL}?application_name=x`);
  const got = settings.ssl as { cert?: string; key?: string; rejectUnauthorized: boolean };
  assert.is(got.cert, readFileSync(c.cert, 'utf8'));
  assert.is(got.key, readFileSync(c.key, 'utf8'));
  assert.is(got.rejectUnauthorized, false);
  assert.is(ssl(URL, { PGSSLMODE: 'verify-ca', PGSSLCERT: c.cert, PGSSLKEY: c.key, PGSSLROOTCERT: c.ca }).cert, readFileSync(c.cert, 'utf8'));
  // Given explicitly, a certificate makes TLS required even under prefer.
  assert.is(ssl(`${URL}?sslcert=${c.cert}&sslkey=${c.key}`).key, readFileSync(c.key, 'utf8'));
  assert.is(tlsSettings(`${URL}?sslmode=disable&sslcert=${c.cert}&sslkey=${c.key}`, {}, noHome).ssl, false);
});

t('~/.postgresql/postgresql.crt and .key are used when TLS is required, root.crt for verify-*', () => {
  if (!certs) return;
  const home = homeWith('home', { 'postgresql.crt': certs.cert, 'postgresql.key': certs.key, 'root.crt': certs.ca });
  assert.is(ssl(`${URL}?sslmode=require`, {}, home).cert, readFileSync(certs.cert, 'utf8'));
  const verify = ssl(`${URL}?sslmode=verify-full`, {}, home);
  assert.is(verify.ca, readFileSync(certs.ca, 'utf8'));
  assert.is(verify.key, readFileSync(certs.key, 'utf8'));
  // prefer keeps falling back to no TLS: the default files are not used.
  assert.is(tlsSettings(URL, {}, home).ssl, 'prefer');
});

t('a key others may read, a key of another certificate, an encrypted key without its passphrase: exit 2 before connecting', () => {
  if (!certs) return;
  const c = certs;
  const open = path.join(dir, 'open.key');
  copyFileSync(c.key, open);
  chmodSync(open, 0o644);
  if (process.platform !== 'win32') refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${c.cert}&sslkey=${open}`, {}, noHome), 'bad-sslkey', /has group or world access \(mode 644\)/);
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${c.cert}&sslkey=${c.otherKey}`, {}, noHome), 'bad-sslkey', /is not the key of/);
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${c.cert}&sslkey=${c.encryptedKey}`, {}, noHome), 'bad-sslkey', /cannot be used/);
  const withPass = ssl(`${URL}?sslmode=require&sslcert=${c.cert}&sslkey=${c.encryptedKey}&sslpassword=${c.passphrase}`);
  assert.is(withPass.passphrase, c.passphrase);
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${c.cert}`, {}, noHome), 'bad-sslkey', /cannot read sslkey .*postgresql\.key/);
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${c.key}&sslkey=${c.key}`, {}, noHome), 'bad-sslcert', /cannot be read as a certificate/);
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${path.join(dir, 'none.crt')}&sslkey=${c.key}`, {}, noHome), 'bad-sslcert', /cannot read sslcert/);
});

t('require verifies the chain when a root certificate file exists, as libpq does', () => {
  if (!certs) return;
  const c = certs;
  const verified = ssl(`${URL}?sslmode=require&sslrootcert=${c.ca}`);
  assert.is(verified.rejectUnauthorized, true);
  assert.is(verified.ca, readFileSync(c.ca, 'utf8'));
  assert.type(verified.checkServerIdentity, 'function', 'the chain, not the host name (verify-ca)');
  // A root file that is not there: plain require.
  assert.is(tlsSettings(`${URL}?sslmode=require&sslrootcert=${path.join(dir, 'none.crt')}`, {}, noHome).ssl, 'require');
  // ~/.postgresql/root.crt counts too; prefer is left alone.
  const home = homeWith('home-root', { 'root.crt': c.ca });
  assert.is(ssl(`${URL}?sslmode=require`, {}, home).rejectUnauthorized, true);
  assert.is(tlsSettings(URL, {}, home).ssl, 'prefer');
  refused(() => tlsSettings(`${URL}?sslmode=require&sslrootcert=system`, {}, noHome), 'bad-sslmode', /sslrootcert=system needs sslmode=verify-full/);
});

t('the query is read as libpq reads it: %XX decoded, + kept, password and passfile taken out, unknown libpq parameters refused', () => {
  if (certs) {
    // A passphrase with + and a space: URLSearchParams would turn the + into a space.
    const withPass = ssl(`${URL}?sslmode=require&sslcert=${certs.cert}&sslkey=${certs.encryptedKey}&sslpassword=${encodeURIComponent(certs.passphrase)}`);
    assert.is(withPass.passphrase, certs.passphrase);
  }
  const got = tlsSettings(`${URL}?application_name=a+b&password=p%2Bq+r&passfile=%2Ftmp%2Fpf&fallback_application_name=x&options=-c%20x%3D1`, {}, noHome);
  assert.is(got.url, `${URL}?application_name=a+b&options=-c%20x%3D1`, 'other parameters kept exactly as written');
  assert.is(got.password, 'p+q+r');
  assert.is(got.passfile, '/tmp/pf');
  assert.is(tlsSettings(URL, {}, noHome).url, URL);
  refused(() => tlsSettings(`${URL}?keepalives=1&sslcrl=/x`, {}, noHome), 'unsupported-parameter', /"keepalives", "sslcrl", which sqlrev does not support/);
  refused(() => tlsSettings(`${URL}?password=%zz`, {}, noHome), 'bad-url', /malformed %-escape in "password=\*\*\*"/);
});

t('without a home folder nothing is looked for there, and an empty sslcert means the default file, as in libpq', () => {
  assert.is(tlsSettings(`${URL}?sslmode=require`, {}, null).ssl, 'require');
  if (!certs) return;
  const home = homeWith('home-default', { 'postgresql.crt': certs.cert, 'postgresql.key': certs.key });
  assert.is(ssl(`${URL}?sslmode=require&sslcert=`, {}, home).cert, readFileSync(certs.cert, 'utf8'));
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${certs!.cert}`, {}, null), 'bad-sslkey', /has no key/);
});

t('a key readable by its group is refused when it is the user\'s own, as libpq does', () => {
  if (!certs || process.platform === 'win32') return;
  const key = path.join(dir, 'group.key');
  copyFileSync(certs.key, key);
  chmodSync(key, 0o640);
  // The test's own file: 0600 or less (libpq allows 0640 only for a key root owns and another user reads).
  refused(() => tlsSettings(`${URL}?sslmode=require&sslcert=${certs!.cert}&sslkey=${key}`, {}, noHome), 'bad-sslkey', /mode 640/);
});

t.run();
