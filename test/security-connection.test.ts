/**
 * Secrets and TLS (issue 6), through the real executable. The local test
 * server trusts everyone, so a dedicated embedded server is started here
 * with password authentication (scram-sha-256) and TLS on, using a
 * self-signed certificate made with openssl for the name `localhost` only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmbedded, type EmbeddedServer } from '../src/embedded.js';
import { migrate, type CliResult } from './support/cli.js';
import { startMigrate } from './support/process.js';
import { exits } from './support/db-assert.js';
import { tempProject } from './support/folder.js';
import { makeClientCerts, type ClientCerts } from './support/certs.js';
import { query, withDatabase } from './support/pg.js';

const test = suite('security: secrets and TLS');

const PASSWORD = 'S3cret-pw';
const WRONG = 'Wr0ng-pw-77';

/** A revision that records whether its own connection is encrypted. */
const FILES = {
  '0001_tls.up.sql': '-- parent: base\ncreate table seen as select ssl from pg_stat_ssl where pid = pg_backend_pid();\n',
  '0001_tls.down.sql': 'drop table seen;\n',
};

let server: EmbeddedServer | undefined;
let certDir = '';
let cert = '';
let skipTls: string | undefined;
let clientCerts: ClientCerts | undefined;
const CERT_USER = 'certuser';

test.before(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'sqlrev-tls-'));
  chmodSync(certDir, 0o755); // the server may run as the postgres user
  cert = path.join(certDir, 'server.crt');
  const key = path.join(certDir, 'server.key');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
  let settings: Record<string, string> = {};
  if (made.status !== 0) {
    skipTls = `openssl could not make a certificate (${made.error?.message ?? made.stderr.trim()})`;
    process.stderr.write(`security-connection: TLS tests skipped: ${skipTls}\n`);
  } else {
    chmodSync(key, 0o600);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      chownSync(key, uid, -1);
    }
    settings = { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key };
    // Client certificates: CERT_USER logs in by certificate over TLS only; everyone else by password.
    clientCerts = makeClientCerts(certDir, CERT_USER);
    if (clientCerts) {
      const hba = path.join(certDir, 'pg_hba.conf');
      writeFileSync(hba, [
        `hostssl all ${CERT_USER} 127.0.0.1/32 cert`,
        'local all all scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
        'host all all ::1/128 scram-sha-256',
      ].join('\n') + '\n', { mode: 0o644 });
      settings = { ...settings, ssl_ca_file: clientCerts.ca, hba_file: hba };
    }
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), `sqlrev-test-pg-${process.pid}-`));
  server = await startEmbedded({ dataDir, persistent: false, password: PASSWORD, settings });
});

test.after(async () => {
  await server?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

/** The dedicated server's URL for `database`, with `password` (if any) and a query. */
function url(database: string, options: { password?: string; host?: string; query?: string } = {}): string {
  const auth = options.password === undefined ? 'postgres' : `postgres:${options.password}`;
  return `postgres://${auth}@${options.host ?? '127.0.0.1'}:${server!.port}/${database}${options.query ? `?${options.query}` : ''}`;
}

/** A fresh database on the dedicated server and a project folder, both removed afterwards. */
async function withDedicated(fn: (db: string, cwd: string) => Promise<void>): Promise<void> {
  const db = `sec_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = url('postgres', { password: PASSWORD });
  await query(admin, `create database ${db}`);
  const p = tempProject(FILES);
  try {
    await fn(db, p.cwd);
  } finally {
    p.cleanup();
    await query(admin, `drop database if exists ${db} with (force)`);
  }
}

/** Neither password appears anywhere in what the command printed. */
function noSecret(r: CliResult, what: string): void {
  for (const secret of [PASSWORD, WRONG]) {
    assert.not.ok(r.stdout.includes(secret) || r.stderr.includes(secret), `${what}: a password was printed\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  assert.not.match(r.stderr, /internal error/, `${what}: ${r.stderr}`);
}

async function seenSsl(db: string): Promise<boolean> {
  const [row] = await query(url(db, { password: PASSWORD }), 'select ssl from seen');
  return row.ssl;
}

test('a password from --db, DATABASE_URL, PGPASSWORD or PG* variables is never printed nor stored', async () => {
  await withDedicated(async (db, cwd) => {
    const full = url(db, { password: PASSWORD });
    const ways: [string, string[], Record<string, string>][] = [
      ['--db', ['--db', full], {}],
      ['DATABASE_URL', [], { DATABASE_URL: full }],
      ['PGPASSWORD', [], { DATABASE_URL: url(db), PGPASSWORD: PASSWORD }],
      ['PG* variables', [], { PGHOST: '127.0.0.1', PGPORT: String(server!.port), PGUSER: 'postgres', PGDATABASE: db, PGPASSWORD: PASSWORD }],
    ];
    for (const [way, args, env] of ways) {
      const run = async (...command: string[]) => {
        const r = await migrate([...command, ...args], { cwd, env });
        noSecret(r, `${way}: ${command.join(' ')}`);
        return r;
      };
      exits(await run('up', '--verbose'), 0, `${way}: up`);
      const status = await run('status', '--json', '--verbose');
      exits(status, 0, `${way}: status`);
      assert.match(JSON.parse(status.stdout).database, /postgres(:\*\*\*)?@|PG\* variables/);
      exits(await run('verify', '--verbose'), 0, `${way}: verify`);
      exits(await run('show', '0001', '--json'), 0, `${way}: show`);
      exits(await run('history', '--json'), 0, `${way}: history`);
      exits(await run('down', 'base', '--sql'), 0, `${way}: down --sql`);
      exits(await run('down', 'base', '--yes', '--verbose', '--json'), 0, `${way}: down`);
      exits(await run('up', '--sql', '--verbose'), 0, `${way}: up --sql`);
      exits(await run('stamp', 'head', '--yes', '--json'), 0, `${way}: stamp`);
      exits(await run('config', '--json'), 0, `${way}: config`);
      exits(await run('stamp', 'base', '--yes'), 0, `${way}: stamp base`);
    }
    exits(await migrate(['up'], { cwd, env: { DATABASE_URL: full } }), 0, 'up at the end');
    // Every column of every state table, as text: who ran it is current_user, never the URL.
    const admin = url(db, { password: PASSWORD });
    for (const table of ['meta', 'revisions', 'log']) {
      const rows = await query(admin, `select t::text as row from sqlrev.${table} t`);
      assert.ok(rows.length > 0, table);
      for (const { row } of rows) assert.not.ok(row.includes(PASSWORD), `sqlrev.${table} holds the password: ${row}`);
    }
    assert.equal(await query(admin, 'select distinct applied_by from sqlrev.revisions'), [{ applied_by: 'postgres' }]);
    assert.equal(await query(admin, 'select distinct db_user from sqlrev.log'), [{ db_user: 'postgres' }]);
  });
});

test('the password file (PGPASSFILE, ~/.pgpass) gives the password when none is given, as in libpq, and is named when it is refused', async () => {
  await withDedicated(async (db, cwd) => {
    const file = path.join(cwd, 'pgpass');
    const write = (text: string, mode: number) => {
      writeFileSync(file, text);
      chmodSync(file, mode);
    };
    const run = async (what: string, env: Record<string, string>, code: number) => {
      const r = await migrate(['status', '--json'], { cwd, env: { DATABASE_URL: url(db), PGPASSFILE: file, ...env } });
      exits(r, code, what);
      noSecret(r, what);
      return JSON.parse(r.stdout);
    };
    // A wildcard line after a line for another port: the first matching line wins.
    write(`# sqlrev test\n127.0.0.1:1:${db}:postgres:${WRONG}\n127.0.0.1:*:*:postgres:${PASSWORD}\n`, 0o600);
    assert.is((await run('password from the file', {}, 0)).ok, true);
    // Through the PG* variables too, and as HOME's .pgpass when PGPASSFILE is not set.
    const pgVars = { DATABASE_URL: '', PGHOST: '127.0.0.1', PGPORT: String(server!.port), PGUSER: 'postgres', PGDATABASE: db };
    assert.is((await run('PG* variables', pgVars, 0)).ok, true);
    writeFileSync(path.join(cwd, '.pgpass'), `*:*:*:*:${PASSWORD}\n`, { mode: 0o600 });
    const home = await migrate(['status', '--json'], { cwd, env: { DATABASE_URL: url(db), PGPASSFILE: undefined, HOME: cwd } });
    exits(home, 0, '~/.pgpass');
    // A password that is given wins over the file.
    write(`*:*:*:*:${WRONG}\n`, 0o600);
    assert.is((await run('PGPASSWORD over the file', { PGPASSWORD: PASSWORD }, 0)).ok, true);
    assert.is((await run('URL password over the file', { DATABASE_URL: url(db, { password: PASSWORD }) }, 0)).ok, true);
    // The file's password is refused: the hint names the file and line, never the password.
    const refused = await run('wrong password in the file', {}, 5);
    assert.match(refused.error.message, /password authentication failed/);
    assert.match(refused.error.hint, new RegExp(`the password came from ${file} line 1`));
    // Readable by others: ignored, as libpq does, and the hint says why.
    write(`*:*:*:*:${PASSWORD}\n`, 0o644);
    const open = await run('file readable by others', {}, 5);
    assert.match(open.error.hint, /was not used: group or others may read it \(mode 644\): chmod 600/);
    // No line for this connection.
    write(`elsewhere:*:*:*:${PASSWORD}\n`, 0o600);
    const none = await run('no matching line', {}, 5);
    assert.match(none.error.hint, new RegExp(`no line of the password file ${file} matches 127\\.0\\.0\\.1:${server!.port}:${db}:postgres`));
  });
});

/** A TCP port on which nothing listens. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('connection failures exit as the contract says, explain, and never print a password', async () => {
  await withDedicated(async (db, cwd) => {
    const refused = await closedPort();
    const cases: [string, string[], Record<string, string>, number, RegExp][] = [
      ['wrong password in the URL', ['--db', url(db, { password: WRONG })], {}, 5, /password authentication failed[\s\S]*hint: check the user name and password/],
      ['wrong PGPASSWORD', [], { DATABASE_URL: url(db), PGPASSWORD: WRONG }, 5, /password authentication failed/],
      ['no password at all', ['--db', url(db)], {}, 5, /password/],
      ['a database that does not exist', ['--db', url('nosuchdb', { password: PASSWORD })], {}, 5, /"nosuchdb" does not exist/],
      ['a host that does not resolve', ['--db', `postgres://postgres:${PASSWORD}@nohost.invalid:5432/db`], {}, 5, /ENOTFOUND[\s\S]*check the host name/],
      ['a refused connection', ['--db', `postgres://postgres:${PASSWORD}@127.0.0.1:${refused}/db`], {}, 5, /ECONNREFUSED/],
      ['a refused connection under --wait', ['--db', `postgres://postgres:${PASSWORD}@127.0.0.1:${refused}/db`, '--wait', '1'], {}, 5, /ECONNREFUSED/],
      ['a port out of range', ['--db', `postgres://postgres:${PASSWORD}@127.0.0.1:99999/db`], {}, 2, /cannot be used: Invalid URL/],
      ['a URL that is not one', ['--db', `postgres://postgres:${PASSWORD}@[::1:5432/db`], {}, 2, /cannot be used/],
      ['an unknown sslmode', ['--db', url(db, { password: PASSWORD, query: 'sslmode=sometimes' })], {}, 2, /sslmode "sometimes" is not one of/],
    ];
    for (const [what, args, env, code, message] of cases) {
      for (const command of [['up', '--verbose'], ['status', '--json']]) {
        const r = await migrate([...command, ...args], { cwd, env });
        exits(r, code, `${what} (${command.join(' ')})`);
        noSecret(r, what);
        // With --json the error is part of the JSON document on stdout.
        const doc = command.includes('--json') ? JSON.parse(r.stdout) : undefined;
        if (doc) assert.is(doc.ok, false, `${what}: --json reports the failure`);
        assert.match(doc ? `${doc.error.message}\nhint: ${doc.error.hint}` : r.stderr, message, what);
        if (args.includes('--wait')) assert.match(r.stderr, /waiting for postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/db to accept connections/, 'progress while waiting');
      }
    }
  });
});

test('sslmode in the URL and PGSSLMODE are honoured; the default is prefer, as in libpq', async () => {
  if (skipTls) return void process.stderr.write(`skipped: ${skipTls}\n`);
  await withDedicated(async (db, cwd) => {
    const cases: [string, Record<string, string>, boolean][] = [
      ['sslmode=require', { DATABASE_URL: url(db, { password: PASSWORD, query: 'sslmode=require' }) }, true],
      ['sslmode=prefer', { DATABASE_URL: url(db, { password: PASSWORD, query: 'sslmode=prefer' }) }, true],
      ['sslmode=allow', { DATABASE_URL: url(db, { password: PASSWORD, query: 'sslmode=allow' }) }, true],
      ['sslmode=disable', { DATABASE_URL: url(db, { password: PASSWORD, query: 'sslmode=disable' }) }, false],
      ['no sslmode', { DATABASE_URL: url(db, { password: PASSWORD }) }, true],
      ['PGSSLMODE=disable', { DATABASE_URL: url(db, { password: PASSWORD }), PGSSLMODE: 'disable' }, false],
      ['the URL over PGSSLMODE', { DATABASE_URL: url(db, { password: PASSWORD, query: 'sslmode=require' }), PGSSLMODE: 'disable' }, true],
      ['verify-full with sslrootcert', { DATABASE_URL: url(db, { password: PASSWORD, host: 'localhost', query: `sslmode=verify-full&sslrootcert=${encodeURIComponent(cert)}` }) }, true],
      ['verify-full with PGSSLROOTCERT', { DATABASE_URL: url(db, { password: PASSWORD, host: 'localhost' }), PGSSLMODE: 'verify-full', PGSSLROOTCERT: cert }, true],
      // verify-ca checks the certificate but not the host name (the certificate names only localhost).
      ['verify-ca by address', { DATABASE_URL: url(db, { password: PASSWORD, query: `sslmode=verify-ca&sslrootcert=${encodeURIComponent(cert)}` }) }, true],
    ];
    for (const [what, env, ssl] of cases) {
      const r = await migrate(['up'], { cwd, env });
      exits(r, 0, what);
      noSecret(r, what);
      assert.is(await seenSsl(db), ssl, `${what}: pg_stat_ssl.ssl of sqlrev's own connection`);
      exits(await migrate(['down', 'base', '--yes'], { cwd, env }), 0, `${what}: down`);
    }
  });
});

test('a client certificate from the URL or PGSSLCERT/PGSSLKEY logs in where pg_hba.conf says cert; without one, exit 5 and a hint', async () => {
  if (skipTls || !clientCerts) return void process.stderr.write(`skipped: ${skipTls ?? 'openssl could not make client certificates'}\n`);
  const c = clientCerts;
  await withDedicated(async (db, cwd) => {
    await query(url(db, { password: PASSWORD }), `create role ${CERT_USER} login superuser`);
    try {
      const certUrl = (q: string) => `postgres://${CERT_USER}@127.0.0.1:${server!.port}/${db}?${q}`;
      const files = `sslcert=${encodeURIComponent(c.cert)}&sslkey=${encodeURIComponent(c.key)}`;
      const ways: [string, Record<string, string>][] = [
        ['in the URL', { DATABASE_URL: certUrl(`sslmode=require&${files}`) }],
        ['in PGSSLCERT and PGSSLKEY', { DATABASE_URL: certUrl('sslmode=require'), PGSSLCERT: c.cert, PGSSLKEY: c.key }],
        ['encrypted key with sslpassword', { DATABASE_URL: certUrl(`sslmode=require&sslcert=${encodeURIComponent(c.cert)}&sslkey=${encodeURIComponent(c.encryptedKey)}&sslpassword=${c.passphrase}`) }],
      ];
      for (const [what, env] of ways) {
        const r = await migrate(['up', '--json'], { cwd, env });
        exits(r, 0, what);
        assert.not.ok(r.stdout.includes(c.passphrase) || r.stderr.includes(c.passphrase), `${what}: the key's passphrase was printed`);
        assert.equal(await query(url(db, { password: PASSWORD }), 'select distinct applied_by from sqlrev.revisions'), [{ applied_by: CERT_USER }], what);
        assert.is(await seenSsl(db), true, `${what}: over TLS`);
        exits(await migrate(['down', 'base', '--yes'], { cwd, env }), 0, `${what}: down`);
      }
      const without = await migrate(['status', '--json'], { cwd, env: { DATABASE_URL: certUrl('sslmode=require') } });
      exits(without, 5, 'no client certificate');
      const doc = JSON.parse(without.stdout);
      assert.match(doc.error.message, /certificate/);
      assert.match(doc.error.hint, /sslcert=FILE&sslkey=FILE/);
      const wrongPass = await migrate(['status'], { cwd, env: { DATABASE_URL: certUrl(`sslmode=require&sslcert=${encodeURIComponent(c.cert)}&sslkey=${encodeURIComponent(c.encryptedKey)}&sslpassword=not-it`) } });
      exits(wrongPass, 2, 'a wrong passphrase');
      assert.not.ok(wrongPass.stderr.includes('not-it'), `the passphrase was printed: ${wrongPass.stderr}`);
    } finally {
      await query(url(db, { password: PASSWORD }), `drop owned by ${CERT_USER}; drop role ${CERT_USER}`).catch(() => undefined);
    }
  });
});

test('verify-full refuses a certificate it cannot verify: exit 5, a hint, no password', async () => {
  if (skipTls) return void process.stderr.write(`skipped: ${skipTls}\n`);
  await withDedicated(async (db, cwd) => {
    const cases: [string, string, RegExp][] = [
      ['self-signed, no sslrootcert', url(db, { password: PASSWORD, host: 'localhost', query: 'sslmode=verify-full' }), /self-signed certificate[\s\S]*hint: .*sslrootcert/],
      ['the certificate names another host', url(db, { password: PASSWORD, query: `sslmode=verify-full&sslrootcert=${encodeURIComponent(cert)}` }), /ERR_TLS_CERT_ALTNAME_INVALID|does not match|not in the cert/i],
    ];
    for (const [what, db2, message] of cases) {
      const r = await migrate(['up', '--verbose'], { cwd, env: { DATABASE_URL: db2 } });
      exits(r, 5, what);
      noSecret(r, what);
      assert.match(r.stderr, message, what);
    }
    const missing = await migrate(['status'], { cwd, env: { DATABASE_URL: url(db, { password: PASSWORD, query: 'sslmode=verify-full&sslrootcert=/nonexistent/root.crt' }) } });
    exits(missing, 2, 'a missing sslrootcert file');
    assert.match(missing.stderr, /cannot read sslrootcert \/nonexistent\/root.crt/);
    assert.equal(await query(url(db, { password: PASSWORD }), `select count(*)::int as n from pg_namespace where nspname = 'sqlrev'`), [{ n: 0 }], 'nothing was written');
  });
});

test('on the test server: sslmode=require encrypts when ssl is on, and fails clearly when it is off', async () => {
  await withDatabase(async (base) => {
    const p = tempProject(FILES);
    try {
      const [{ ssl }] = await query(base, 'show ssl');
      const u = new URL(base);
      u.searchParams.set('sslmode', 'require');
      const r = await migrate(['up'], { cwd: p.cwd, env: { DATABASE_URL: u.href } });
      if (ssl === 'on') {
        exits(r, 0, 'require');
        assert.equal(await query(base, 'select ssl from seen'), [{ ssl: true }]);
        exits(await migrate(['down', 'base', '--yes'], { cwd: p.cwd, env: { DATABASE_URL: u.href } }), 0, 'down');
      } else {
        process.stderr.write('security-connection: the test server has ssl = off; checking that sslmode=require fails clearly instead\n');
        exits(r, 5, 'require without TLS on the server');
        assert.match(r.stderr, /TLS[\s\S]*hint: .*ssl = on/);
      }
      exits(await migrate(['up'], { cwd: p.cwd, env: { DATABASE_URL: base, PGSSLMODE: 'disable' } }), 0, 'PGSSLMODE=disable');
      assert.equal(await query(base, 'select ssl from seen'), [{ ssl: false }]);
    } finally {
      p.cleanup();
    }
  });
});

test('a multi-host URL whose hosts all refuse ends with exit 5 instead of retrying forever', async () => {
  const p = tempProject(FILES);
  try {
    const [a, b] = [await closedPort(), await closedPort()];
    const db = `postgres://postgres:${PASSWORD}@127.0.0.1:${a},127.0.0.1:${b}/db?connect_timeout=1`;
    for (const env of [{}, { PGCONNECT_TIMEOUT: '1' }]) {
      const args = ['status', '--db', 'PGCONNECT_TIMEOUT' in env ? db.replace('?connect_timeout=1', '') : db];
      // postgres.js alone tries the hosts in turn without end: the child is killed and the test fails after 30 s.
      const r = await startMigrate(args, { cwd: p.cwd, env }).result(30_000);
      exits(r, 5, `multi-host, all refusing (${JSON.stringify(env)})`);
      assert.match(r.stderr, /no server answered within \d+ s/);
      noSecret(r, 'multi-host');
    }
  } finally { p.cleanup(); }
});

test.run();
