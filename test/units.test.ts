/** Small pure modules: quoting, drift, config precedence, history lanes, redaction. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../src/config.js';
import { redactUrl, scrub, lockKey } from '../src/db.js';
import { connectTimeout, hostsOf } from '../src/libpq.js';
import { Graph } from '../src/graph.js';
import { drawLanes, historyEntries } from '../src/history.js';
import { quoteIdent, quoteLiteral } from '../src/quote.js';
import { useColor } from '../src/render.js';
import { renderStatement, stateSql } from '../src/state.js';
import { compareApplied, firstDifferentLine } from '../src/verify.js';
import { projectFromEntries } from '../src/project.js';
import { entries, pair } from './support/folder.js';
import type { AppliedRow } from '../src/state.js';

const units = suite('units');

units('identifiers are double-quoted with inner quotes doubled', () => {
  assert.is(quoteIdent('sqlrev'), '"sqlrev"');
  assert.is(quoteIdent('x"; drop table t; --'), '"x""; drop table t; --"');
  assert.throws(() => quoteIdent('a\0b'));
});

units('literals use the E form when quotes or backslashes need escaping', () => {
  assert.is(quoteLiteral('plain'), "'plain'");
  assert.is(quoteLiteral("it's"), "E'it''s'");
  assert.is(quoteLiteral('C:\\dir'), "E'C:\\\\dir'");
  assert.throws(() => quoteLiteral('\0'));
});

units('rendered bookkeeping substitutes every parameter as a literal', () => {
  const sql = renderStatement({ text: 'insert into t values ($1, $2::text[], $3, $10)', params: ["a'b", ['x', 'y'], null, 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 10] });
  assert.is(sql, "insert into t values (E'a''b', array['x', 'y']::text[], null, 10);");
});

units('the state DDL gets the quoted schema name everywhere', () => {
  const out = stateSql('create schema :"schema"; create table :"schema".t ();', 'my"schema');
  assert.is(out, 'create schema "my""schema"; create table "my""schema".t ();');
});

units('passwords are redacted from URLs and scrubbed from messages', () => {
  assert.is(redactUrl('postgres://u:s3cret@h:5432/db?sslmode=require'), 'postgres://u:***@h:5432/db?sslmode=require');
  assert.is(redactUrl('postgres://u@h/db?password=s3cret'), 'postgres://u@h/db?password=***');
  const url = 'postgres://u:p%40ss@h/db';
  assert.not.match(scrub(`failed for ${url} with p@ss`, url, {}), 'p@ss');
  // A key's passphrase (or a password) in the query is scrubbed wherever a message quotes it.
  const withKey = 'postgres://u@h/db?sslmode=require&sslpassword=k3y-phrase&password=pw-in-query';
  const scrubbed = scrub('bad decrypt for k3y-phrase, login pw-in-query', withKey, {});
  assert.not.match(scrubbed, 'k3y-phrase');
  assert.not.match(scrubbed, 'pw-in-query');
});

units('lock keys differ per schema and fit in a positive int4', () => {
  assert.is.not(lockKey('sqlrev'), lockKey('other'));
  for (const s of ['sqlrev', 'a', 'ünïcode']) {
    assert.ok(lockKey(s) >= 0 && lockKey(s) <= 0x7fffffff);
    assert.is(lockKey(s), lockKey(s));
  }
});

units('config precedence is flags, then environment, then file, then defaults', () => {
  const file = { path: '/p/sqlrev.json', values: { dir: 'db', schema: 'fs', lockTimeout: 9, db: 'postgres://file' } };
  const fromFile = resolveConfig({}, {}, file, '/p');
  assert.equal([fromFile.dir, fromFile.schema, fromFile.lockTimeout, fromFile.db], ['db', 'fs', 9, 'postgres://file']);
  const fromEnv = resolveConfig({}, { SQLREV_DIR: 'e', SQLREV_SCHEMA: 'es', DATABASE_URL: 'postgres://env' }, file, '/p');
  assert.equal([fromEnv.dir, fromEnv.schema, fromEnv.db, fromEnv.sources.db], ['e', 'es', 'postgres://env', 'env']);
  const fromFlags = resolveConfig({ dir: 'f', db: 'postgres://flag', lockTimeout: '3' }, { SQLREV_DIR: 'e', DATABASE_URL: 'postgres://env' }, file, '/p');
  assert.equal([fromFlags.dir, fromFlags.db, fromFlags.lockTimeout], ['f', 'postgres://flag', 3]);
  const libpq = resolveConfig({}, { PGHOST: 'h' }, file, '/p');
  assert.equal([libpq.db, libpq.dbConfigured, libpq.sources.db], [undefined, true, 'libpq']);
  const none = resolveConfig({}, {}, undefined, '/p');
  assert.equal([none.dir, none.schema, none.lockTimeout, none.dbConfigured], ['migrations', 'sqlrev', 300, false]);
  assert.throws(() => resolveConfig({ lockTimeout: 'soon' }, {}, undefined), /--lock-timeout/);
});

units('a relative dir in a config file is relative to that file', () => {
  const c = resolveConfig({}, {}, { path: '/work/app/sqlrev.json', values: { dir: 'db/migrations' } }, '/work');
  assert.is(c.dir, 'app/db/migrations');
});

units('drift finds edited files with a diff and the first changed line, and missing files', () => {
  const project = projectFromEntries('migrations', entries({ ...pair('0001', 'base', 'create table a (x int);') }));
  const rev = project.revisions.get('0001')!;
  const row: AppliedRow = {
    id: '0001', parents: [], message: 'rev', upChecksum: 'sha256:old', downChecksum: rev.down.checksum,
    upText: rev.up.text.replace('x int', 'y int'), downText: rev.down.text, upPath: rev.up.path, downPath: rev.down.path,
    appliedAt: new Date(), appliedBy: 'me', appliedHow: 'up', durationMs: 1,
  };
  const gone: AppliedRow = { ...row, id: '0009' };
  const drift = compareApplied([row, gone], project.revisions);
  assert.is(drift.edited.length, 1);
  assert.is(drift.edited[0].which, 'up');
  assert.is(drift.edited[0].line, 3);
  assert.match(drift.edited[0].diff, '-create table a (y int);');
  assert.match(drift.edited[0].diff, '+create table a (x int);');
  assert.equal(drift.missing, ['0009']);
  assert.is(firstDifferentLine('a\nb\nc', 'a\nb\nc\nd'), 4);
});

units('history lanes draw a three-way merge and a second root', () => {
  const { graph } = Graph.build([
    { id: 'a', parents: [] }, { id: 'b', parents: ['a'] }, { id: 'c', parents: ['a'] }, { id: 'd', parents: ['a'] },
    { id: 'm', parents: ['b', 'c', 'd'] }, { id: 'r', parents: [] },
  ]);
  const rows = drawLanes(historyEntries(graph)).flatMap((r, i) => [...r.before, `${r.node} ${graph.order[i]}`]);
  assert.equal(rows, [
    '* a',
    '|\\--.',
    '* | | b',
    '| * | c',
    '| | * d',
    '|/--\'',
    '* m',
    '  * r', // a root right after a head, not in its column: it would look like its child
  ]);
});

units('history lists revisions in or after a cycle last, drawn alone, so none is missing', () => {
  const { graph } = Graph.build([
    { id: 'a', parents: [] }, { id: 'b', parents: ['a'] }, { id: 'x', parents: ['y'] }, { id: 'y', parents: ['x'] }, { id: 'z', parents: ['y', 'b'] },
  ]);
  const entries = historyEntries(graph);
  assert.equal(entries.map((e) => [e.id, e.unordered ?? false]), [['a', false], ['b', false], ['x', true], ['y', true], ['z', true]]);
  assert.equal(entries.find((e) => e.id === 'z')!.parents, ['y', 'b'], 'the real parents, for the list and --json');
  const rows = drawLanes(entries).flatMap((r, i) => [...r.before, `${r.node} ${entries[i].id}`]);
  assert.equal(rows, ['* a', '* b', '  * x', '* y', '  * z']);
  const reversed = drawLanes(historyEntries(graph, true), true);
  assert.ok(reversed.every((r) => r.before.length === 0 && !r.node.includes('|')), 'no lane left open for an edge that never closes');
});

units('colour only on a terminal, never with NO_COLOR or --no-color', () => {
  assert.is(useColor({ isTTY: true }, {}), true);
  assert.is(useColor({ isTTY: false }, {}), false);
  assert.is(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.is(useColor({ isTTY: true }, {}, true), false);
  assert.is(useColor({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.is(useColor({ isTTY: false }, { FORCE_COLOR: '1' }), true);
});

units('connect_timeout is read as libpq reads it; 0 and nonsense keep the default, since a migrator must not hang', () => {
  assert.is(connectTimeout({}, {}), 10);
  assert.is(connectTimeout({ url: 'postgres://u@h/db?sslmode=require&connect_timeout=3' }, { PGCONNECT_TIMEOUT: '7' }), 3);
  assert.is(connectTimeout({ url: 'postgres://u@h/db' }, { PGCONNECT_TIMEOUT: '7' }), 7);
  assert.is(connectTimeout({ url: 'postgres://u@h1:1,h2:2/db?connect_timeout=4' }, {}), 4, 'a multi-host URL, which new URL() refuses');
  assert.is(connectTimeout({ connectTimeoutSeconds: 2, url: 'postgres://u@h/db?connect_timeout=3' }, {}), 2);
  for (const odd of ['0', '-1', 'soon']) assert.is(connectTimeout({}, { PGCONNECT_TIMEOUT: odd }), 10, odd);
});

units('the hosts of a URL or PGHOST, as postgres.js reads them', () => {
  assert.equal(hostsOf('postgres://u:p@a.example:5432,b.example:5433/db', {}), ['a.example', 'b.example']);
  assert.equal(hostsOf('postgres://u@[::1]:5432/db', {}), ['::1']);
  assert.equal(hostsOf(undefined, { PGHOST: 'x,y' }), ['x', 'y']);
  assert.equal(hostsOf(undefined, {}), ['localhost']);
});

units.run();
