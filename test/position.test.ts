import { test, suite } from 'uvu';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import { lineColumnAt, positionToOffset } from '../src/position.js';

test('position 1 is offset 0, and ASCII positions are offsets plus one', () => {
  const text = 'SELECT x FROM t';
  assert.is(positionToOffset(text, 1), 0);
  assert.is(positionToOffset(text, 8), 7);
  assert.is(text.slice(positionToOffset(text, 8)), 'x FROM t');
});

test('an emoji before the error is one character to the server but two UTF-16 units', () => {
  const text = "SELECT '😀😀', bad";
  // code points: S E L E C T _ ' 😀 😀 ' , _ b → `bad` is character 14
  assert.is(positionToOffset(text, 14), 15);
  assert.is(text.slice(positionToOffset(text, 14)), 'bad');
});

test('accented and CJK characters count one each, as in UTF-16', () => {
  const text = "SELECT 'é日本', bad";
  assert.is(text.slice(positionToOffset(text, 15)), 'bad');
});

test('positions outside the text are clamped to it', () => {
  assert.is(positionToOffset('abc', 0), 0);
  assert.is(positionToOffset('abc', -5), 0);
  assert.is(positionToOffset('abc', 4), 3);
  assert.is(positionToOffset('a😀', 99), 3);
  assert.is(positionToOffset('', 1), 0);
});

test('lineColumnAt gives the 1-based line, the column in code points and the whole line', () => {
  const text = 'SELECT 1;\n  SELECT 😀 + bad FROM t;\nSELECT 3;';
  const offset = text.indexOf('bad');
  assert.equal(lineColumnAt(text, offset), { line: 2, column: 14, lineText: '  SELECT 😀 + bad FROM t;' });
});

test('lineColumnAt at the start, at a newline and at the very end', () => {
  const text = 'ab\ncd\n';
  assert.equal(lineColumnAt(text, 0), { line: 1, column: 1, lineText: 'ab' });
  assert.equal(lineColumnAt(text, 2), { line: 1, column: 3, lineText: 'ab' });
  assert.equal(lineColumnAt(text, 3), { line: 2, column: 1, lineText: 'cd' });
  assert.equal(lineColumnAt(text, text.length), { line: 3, column: 1, lineText: '' });
  assert.equal(lineColumnAt(text, 999), { line: 3, column: 1, lineText: '' });
  assert.equal(lineColumnAt('', 0), { line: 1, column: 1, lineText: '' });
});

test('a server position maps through both functions to the right line and column', () => {
  const text = "-- 😀 header\nSELECT 'é',\n   missing_column";
  const at = positionToOffset(text, 28); // the server counts code points: `missing_column` starts at 28
  assert.equal(lineColumnAt(text, at), { line: 3, column: 4, lineText: '   missing_column' });
});

// ---- against a real server: postgres.js reports the server's position unchanged

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sql = postgres(serverUrl, { onnotice: () => {}, connect_timeout: 3, max: 1 });
const serverUp = await sql`SELECT 1`.then(() => true, () => false);
if (!serverUp) {
  console.log(`\n  note: no PostgreSQL answers at ${new URL(serverUrl).host}; the position check against a server is skipped`);
  await sql.end();
} else {
  const server = suite('position against a real server');
  server.after(() => sql.end());

  const cases: [string, string][] = [
    ["SELECT '😀🚀 emoji', 'é日本',\n  no_such_column_x FROM (SELECT 1) s", 'no_such_column_x'],
    ["SELECT '😀'\n  , 1 +* 2", '+*'],
    ["-- 𝄞 comment\n/* 😀 */ SELECT 'ß' FROM no_such_table_x", 'no_such_table_x'],
  ];
  for (const [text, culprit] of cases) {
    server(`err.position points at ${culprit} after astral and multi-byte characters`, async () => {
      // A read-only query that fails: nothing in the database is touched
      const error: { position?: string } = await sql.unsafe(text).then(() => ({}), (e) => e);
      assert.ok(error.position, 'the server gave no position');
      const offset = positionToOffset(text, Number(error.position));
      assert.is(text.slice(offset, offset + culprit.length), culprit);
      const expected = text.indexOf(culprit);
      assert.equal(lineColumnAt(text, offset), lineColumnAt(text, expected));
    });
  }
  server.run();
}

test.run();
