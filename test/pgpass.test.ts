/**
 * libpq's password file (src/pgpass.ts): parsing as libpq does (escapes,
 * wildcards, comments, short lines), the first matching line winning, where
 * the file is, when it is ignored, and what a multi-host URL gets.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { matchPgpass, parsePgpass, passwordFromFile, passwordGiven, pgpassHost, pgpassPath, readPgpass } from '../src/pgpass.js';
import { tempProject } from './support/folder.js';

const t = suite('pgpass');
const target = { host: 'db.example.com', port: '5432', database: 'app', user: 'deploy' };

t('lines are split on unescaped colons; \\: and \\\\ stand for themselves; only a bare * is a wildcard', () => {
  const lines = parsePgpass([
    '# host:port:database:user:password',
    '',
    'db.example.com:5432:app:deploy:plain',
    'h\\:x:*:*:*:pa\\:ss\\\\word:ignored after the colon',
    '\\*:5432:app:deploy:literal-star-host',
    'too:few:fields',
    'crlf:5432:app:deploy:ends-with-cr\r\r',
    'h:1:d:u:trailing\\',
    'h:2:d:u:*',
  ].join('\n'));
  assert.equal(lines.map((l) => [l.fields, l.password, l.line]), [
    [['db.example.com', '5432', 'app', 'deploy'], 'plain', 3],
    [['h:x', null, null, null], 'pa:ss\\word', 4],
    [['*', '5432', 'app', 'deploy'], 'literal-star-host', 5],
    [['crlf', '5432', 'app', 'deploy'], 'ends-with-cr', 7],
    // A backslash at the end of the line stands for itself; a * password is a password.
    [['h', '1', 'd', 'u'], 'trailing\\', 8],
    [['h', '2', 'd', 'u'], '*', 9],
  ]);
});

t('the first matching line gives the password; an empty one gives none; a literal * host matches only "*"', () => {
  const lines = parsePgpass([
    'other:5432:app:deploy:no',
    'db.example.com:5432:*:deploy:first',
    '*:*:*:*:fallback',
  ].join('\n'));
  assert.is(matchPgpass(lines, target)?.password, 'first');
  assert.is(matchPgpass(lines, { ...target, user: 'someone' })?.password, 'fallback');
  assert.is(matchPgpass(lines, { ...target, port: '6543' })?.password, 'fallback');
  assert.is(matchPgpass(parsePgpass('db.example.com:5432:app:deploy:\n*:*:*:*:later'), target), undefined);
  assert.is(matchPgpass(parsePgpass('\\*:5432:app:deploy:x'), target), undefined);
});

t('a socket in a default folder matches localhost; another socket folder matches itself', () => {
  assert.is(pgpassHost('/var/run/postgresql'), 'localhost');
  assert.is(pgpassHost('/tmp/'), 'localhost');
  assert.is(pgpassHost('/srv/pg/sockets'), '/srv/pg/sockets');
  assert.is(pgpassHost('127.0.0.1'), '127.0.0.1');
});

t('the file is PGPASSFILE, else ~/.pgpass, else on Windows %APPDATA%\\postgresql\\pgpass.conf', () => {
  assert.is(pgpassPath({ PGPASSFILE: '/etc/x' }, 'linux', '/home/a'), '/etc/x');
  assert.is(pgpassPath({}, 'linux', '/home/a'), '/home/a/.pgpass');
  assert.is(pgpassPath({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a'), 'C:\\Users\\a\\AppData\\Roaming\\postgresql\\pgpass.conf');

});

t('a password is given by a URL with a non-empty password, or by PGPASSWORD', () => {
  assert.ok(passwordGiven('postgres://u:p@h/db', {}));
  assert.ok(passwordGiven('postgres://u:p@h1:5432,h2:5433/db', {}));
  assert.not.ok(passwordGiven('postgres://u@h/db', {}));
  assert.not.ok(passwordGiven('postgres://u:@h/db', {}));
  assert.not.ok(passwordGiven('postgres://h/db?sslmode=require', {}));
  assert.not.ok(passwordGiven(undefined, {}));
  assert.ok(passwordGiven(undefined, { PGPASSWORD: 'x' }));
  assert.not.ok(passwordGiven(undefined, { PGPASSWORD: '' }));
});

t('the file is read only when private to its owner, and the answer says where the password came from', () => {
  const p = tempProject();
  try {
    const file = path.join(p.dir, 'pgpass');
    writeFileSync(file, '# mine\ndb.example.com:5432:app:deploy:s3cret\n');
    const conn = { host: ['db.example.com'], port: [5432], database: 'app', user: 'deploy' };
    chmodSync(file, 0o644);
    if (process.platform !== 'win32') {
      assert.match(String((readPgpass(file) as { ignored: string }).ignored), /group or others may read it \(mode 644\): chmod 600/);
      assert.equal(passwordFromFile(conn, { PGPASSFILE: file }).password, '');
      assert.match(String(passwordFromFile(conn, { PGPASSFILE: file }).note), /was not used: group or others/);
    }
    chmodSync(file, 0o600);
    assert.equal(passwordFromFile(conn, { PGPASSFILE: file }), { password: 's3cret', note: `the password came from ${file} line 2` });
    assert.equal(passwordFromFile({ ...conn, user: 'other' }, { PGPASSFILE: file }), { password: '', note: `no line of the password file ${file} matches db.example.com:5432:app:other` });
    // passfile= in the URL comes before PGPASSFILE.
    const other = path.join(p.dir, 'other');
    writeFileSync(other, '*:*:*:*:from-passfile\n', { mode: 0o600 });
    assert.is(passwordFromFile(conn, { PGPASSFILE: file }, other).password, 'from-passfile');
    // No file: no password and nothing to say (the usual case).
    assert.equal(passwordFromFile(conn, { PGPASSFILE: path.join(p.dir, 'none') }), { password: '' });
    const folder = path.join(p.dir, 'folder');
    mkdirSync(folder);
    assert.match(String(passwordFromFile(conn, { PGPASSFILE: folder }).note), /not a plain file/);
  } finally {
    p.cleanup();
  }
});

t('several hosts get a password only when the file gives each the same one', () => {
  const p = tempProject();
  try {
    const file = path.join(p.dir, 'pgpass');
    const conn = { host: ['a', 'b'], port: [5432, 5433], database: 'app', user: 'deploy' };
    writeFileSync(file, 'a:5432:app:deploy:same\nb:5433:app:deploy:same\n', { mode: 0o600 });
    assert.is(passwordFromFile(conn, { PGPASSFILE: file }).password, 'same');
    writeFileSync(file, 'a:5432:app:deploy:one\nb:5433:app:deploy:two\n', { mode: 0o600 });
    const split = passwordFromFile(conn, { PGPASSFILE: file });
    assert.is(split.password, '');
    assert.match(String(split.note), /does not give the same password for every host of this URL/);
    writeFileSync(file, 'a:5432:app:deploy:one\n', { mode: 0o600 });
    assert.is(passwordFromFile(conn, { PGPASSFILE: file }).password, '');
  } finally {
    p.cleanup();
  }
});

t.run();
