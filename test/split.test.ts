import { test, suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import { splitSql, type MetaCommand } from '../src/split.js';
import { classifyStatement, type StatementKind } from '../src/classify.js';

const FIXTURES = new URL('../../test/fixtures/split/', import.meta.url);

interface ExpectedStatement {
  line: number;
  column?: number;
  text: string;
  terminated?: boolean;
}
interface Fixture {
  statements: ExpectedStatement[];
  metaCommands?: MetaCommand[];
  /** false when the statements are not valid SQL (unterminated input). */
  server?: boolean;
}

const fixtureNames = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.slice(0, -'.sql'.length))
  .sort();
const readSql = (name: string) => readFileSync(new URL(`${name}.sql`, FIXTURES), 'utf8');
const readExpected = (name: string): Fixture => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
const texts = (sql: string) => splitSql(sql).statements.map((s) => s.text);

test('the fixture folder holds every edge case, each with its expected output', () => {
  assert.ok(fixtureNames.length >= 20, `only ${fixtureNames.length} fixtures found`);
  for (const name of fixtureNames) assert.ok(Array.isArray(readExpected(name).statements), name);
});

for (const name of fixtureNames) {
  test(`splits ${name}.sql into its expected statements`, () => {
    const sql = readSql(name);
    const expected = readExpected(name);
    const { statements, metaCommands } = splitSql(sql);
    assert.equal(
      statements.map(({ line, column, text, terminated }) => ({ line, column, text, terminated })),
      expected.statements.map((e) => ({ line: e.line, column: e.column ?? 1, text: e.text, terminated: e.terminated ?? true })),
    );
    assert.equal(metaCommands, expected.metaCommands ?? []);
    for (const s of statements) assert.is(sql.slice(s.start, s.end), s.text);
  });
}

test('a statement spans from its first token to its semicolon, with offsets into the input', () => {
  const sql = '  -- note\n/* c */ SELECT 1 ; \n';
  const [s] = splitSql(sql).statements;
  assert.equal(s, { text: 'SELECT 1 ;', start: 18, end: 28, line: 2, column: 9, terminated: true });
});

test('lone semicolons and comment-only input make no statements', () => {
  assert.equal(texts(';;\n ; /* x */ ;SELECT 1;;'), ['SELECT 1;']);
  assert.equal(texts('-- a\n/* b /* c */ */\n'), []);
});

test('an unterminated dollar quote, identifier or parenthesis takes the rest of the input', () => {
  assert.equal(texts('SELECT 1; SELECT $x$ a; b;'), ['SELECT 1;', 'SELECT $x$ a; b;']);
  assert.equal(texts('SELECT "a; SELECT 2;'), ['SELECT "a; SELECT 2;']);
  assert.equal(texts('SELECT (1; SELECT 2;'), ['SELECT (1; SELECT 2;']);
});

test('a plain BEGIN opens no block, so the next semicolon still ends statements', () => {
  assert.equal(texts('BEGIN; SELECT CASE WHEN true THEN 1 END; END;'), ['BEGIN;', 'SELECT CASE WHEN true THEN 1 END;', 'END;']);
});

test('a meta-command ends the statement before it and stays out of every statement', () => {
  const { statements, metaCommands } = splitSql('SELECT 1 \\; SELECT 2;\nSELECT 3;');
  assert.equal(statements.map((s) => [s.text, s.terminated]), [['SELECT 1', false], ['SELECT 3;', true]]);
  assert.equal(metaCommands, [{ line: 1, column: 10, text: '\\; SELECT 2;' }]);
});

test('COPY FROM STDIN data is skipped up to its \\. line, which is reported', () => {
  const sql = "COPY t (a) FROM stdin; SELECT 'same line';\nit's; 'data\n\\.\nSELECT 1;";
  const { statements, metaCommands } = splitSql(sql);
  assert.equal(statements.map((s) => s.text), ['COPY t (a) FROM stdin;', "SELECT 'same line';", 'SELECT 1;']);
  assert.equal(metaCommands, [{ line: 3, column: 1, text: '\\.' }]);
});

test('COPY FROM STDIN without \\. takes the rest of the input as data', () => {
  assert.equal(texts('copy t from STDIN;\nSELECT 1;\n'), ['copy t from STDIN;']);
});

test('a statement left open on the COPY line ends where the COPY data begins (found by fuzzing)', () => {
  // Before: the open string and SELECT 1 became one statement spanning the data and its \. line.
  for (const rest of [" SELECT 'open", ' SELECT']) {
    const sql = `COPY t FROM stdin;${rest}\nx\n\\.\nSELECT 1;`;
    const { statements, metaCommands } = splitSql(sql);
    assert.equal(statements.map((s) => [s.text, s.terminated]), [['COPY t FROM stdin;', true], [rest.trim() + (rest.includes("'") ? '\n' : ''), false], ['SELECT 1;', true]], rest);
    assert.equal(metaCommands, [{ line: 3, column: 1, text: '\\.' }]);
  }
});

test('COPY TO STDOUT and COPY FROM a file are followed by SQL, not data', () => {
  assert.equal(texts('COPY t TO stdout;\nSELECT 1;'), ['COPY t TO stdout;', 'SELECT 1;']);
  assert.equal(texts("COPY t FROM '/tmp/x';\nSELECT 1;"), ["COPY t FROM '/tmp/x';", 'SELECT 1;']);
});

test('never throws on random input, and statements stay ordered, trimmed and exact', () => {
  const pieces = ["'", '"', '$', '$a$', '$$', '$1', 'E', "E'", '\\', '/*', '*/', '--', '\n', ' ', ';', '(', ')',
    'begin', 'BEGIN', 'case', 'end', 'create', 'function', 'or', 'replace', 'procedure', 'atomic', 'x', '1', 'U&', 'é', '😀', 'copy', 'from', 'stdin'];
  let seed = 12345;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let round = 0; round < 3000; round++) {
    let sql = '';
    for (let k = random(40); k > 0; k--) sql += pieces[random(pieces.length)];
    const { statements } = splitSql(sql);
    let previousEnd = 0;
    for (const s of statements) {
      assert.ok(s.start >= previousEnd && s.end > s.start, JSON.stringify(sql));
      assert.is(sql.slice(s.start, s.end), s.text);
      assert.ok(!/^\s/.test(s.text) && s.text !== ';', JSON.stringify(sql));
      previousEnd = s.end;
    }
  }
});

test('splits 24 MB of mixed statements in linear time', () => {
  const unit = "SELECT $a$;$a$, 'x''y', \"z\"\"\", E'\\'', 1e5 /* c /* d */ */ -- e\n;\nCREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END;\n";
  const sql = unit.repeat(Math.ceil(24e6 / unit.length));
  const started = Date.now();
  const { statements } = splitSql(sql);
  const elapsed = Date.now() - started;
  assert.is(statements.length, Math.ceil(24e6 / unit.length) * 2);
  assert.ok(elapsed < 15_000, `took ${elapsed} ms`);
});

const kinds: Record<StatementKind, string[]> = {
  'transaction-control': [
    'BEGIN', 'begin work;', 'BEGIN ISOLATION LEVEL SERIALIZABLE', 'START TRANSACTION READ ONLY', 'COMMIT',
    'commit and chain', 'END', 'END TRANSACTION', 'ROLLBACK', 'ROLLBACK WORK', 'abort', "PREPARE TRANSACTION 'tx1'",
    "COMMIT PREPARED 'tx1'", "ROLLBACK PREPARED 'tx1'", '-- first\n/* then */ Begin;',
  ],
  'no-transaction': [
    'CREATE INDEX CONCURRENTLY i ON t (a)', 'create unique index concurrently i on t (a)', 'DROP INDEX CONCURRENTLY i',
    'REINDEX TABLE CONCURRENTLY t', 'REINDEX (CONCURRENTLY) INDEX i', 'REINDEX (verbose, concurrently on) TABLE t',
    'REINDEX SCHEMA public', 'REINDEX DATABASE d', 'REINDEX SYSTEM d', 'VACUUM', 'vacuum (analyze) t', 'VACUUM ANALYZE t',
    'CREATE DATABASE d', 'DROP DATABASE IF EXISTS d', "ALTER SYSTEM SET work_mem = '4MB'", 'ALTER SYSTEM RESET ALL',
    "CREATE TABLESPACE ts LOCATION '/x'", 'DROP TABLESPACE ts', 'ALTER DATABASE d SET TABLESPACE ts',
    "CREATE SUBSCRIPTION s CONNECTION 'host=h' PUBLICATION p",
    "CREATE SUBSCRIPTION s CONNECTION 'host=h' PUBLICATION p WITH (create_slot = true)", 'DROP SUBSCRIPTION s',
    'ALTER SUBSCRIPTION s REFRESH PUBLICATION', 'ALTER SUBSCRIPTION s SET PUBLICATION p', 'ALTER SUBSCRIPTION s ADD PUBLICATION p',
    'CLUSTER', 'CLUSTER VERBOSE;', 'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY', 'DISCARD ALL',
    '/* leading */ -- comments\nvacuum;',
  ],
  ordinary: [
    'SAVEPOINT s', 'RELEASE SAVEPOINT s', 'ROLLBACK TO SAVEPOINT s', 'rollback work to s', 'ROLLBACK TRANSACTION TO s',
    'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END', 'PREPARE transaction AS SELECT 1',
    'CREATE INDEX i ON t (a)', 'CREATE INDEX "concurrently" ON t (a)', 'DROP INDEX i', 'REINDEX TABLE t',
    'REINDEX (CONCURRENTLY false) TABLE t', 'ANALYZE', 'ANALYZE t', "ALTER DATABASE d SET default_tablespace = ''",
    "CREATE SUBSCRIPTION s CONNECTION 'host=h' PUBLICATION p WITH (connect = false)",
    "CREATE SUBSCRIPTION s CONNECTION 'host=h' PUBLICATION p WITH (create_slot = 'off')",
    'ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)', 'ALTER SUBSCRIPTION s DISABLE',
    'CLUSTER t USING t_pkey', 'CLUSTER VERBOSE t', 'ALTER TABLE p DETACH PARTITION p1', 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
    'DISCARD PLANS', 'SELECT 1', 'START', '', '-- only a comment',
  ],
};

const kindTitles: Record<StatementKind, string> = {
  'transaction-control': 'a file\'s own BEGIN, COMMIT, ROLLBACK or PREPARE TRANSACTION is transaction-control, after comments too',
  'no-transaction': 'what PostgreSQL refuses inside a transaction block is no-transaction, in any case and after comments',
  ordinary: 'savepoints, BEGIN ATOMIC bodies and the false friends of the other kinds are ordinary',
};
for (const [kind, statements] of Object.entries(kinds) as [StatementKind, string[]][]) {
  test(kindTitles[kind], () => {
    for (const sql of statements) assert.is(classifyStatement(sql), kind, sql);
  });
}

// ---- against a real server: each statement parses alone, and each classification holds

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quiet = { onnotice: () => {}, connect_timeout: 3, max: 1 };
const admin = postgres(serverUrl, quiet);
const serverUp = await admin`SELECT 1`.then(() => true, () => false);
if (!serverUp) {
  console.log(`\n  note: no PostgreSQL answers at ${new URL(serverUrl).host}; the split checks against a server are skipped`);
  await admin.end();
} else {
  const server = suite('split against a real server');
  const database = `sqlrev_split_${process.pid}_${Date.now()}`;
  const scratchUrl = new URL(serverUrl);
  scratchUrl.pathname = `/${database}`;
  let sql: postgres.Sql;

  server.before(async () => {
    await admin.unsafe(`CREATE DATABASE ${database}`);
    sql = postgres(scratchUrl.toString(), quiet);
    await sql.unsafe(`CREATE TABLE t (a int PRIMARY KEY, b int);
      CREATE TABLE p (a int) PARTITION BY RANGE (a); CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
      CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x; CREATE UNIQUE INDEX ON mv (x); CREATE PUBLICATION pub FOR TABLE t;`);
  });
  server.after(async () => {
    await sql?.end();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });

  for (const name of fixtureNames.filter((n) => readExpected(n).server !== false)) {
    server(`the server parses each statement of ${name}.sql as exactly one command`, async () => {
      for (const { text } of splitSql(readSql(name)).statements) {
        // Parse without running: a cut statement fails to parse, two glued ones are refused
        await sql.unsafe(text).describe().catch((e: Error) => assert.unreachable(`${e.message} in ${JSON.stringify(text)}`));
      }
    });
  }

  server('the server refuses inside a transaction exactly the statements classified no-transaction', async () => {
    const rollback = new Error('rollback');
    const sub = (opts: string) => `CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 dbname=nope' PUBLICATION pub${opts}`;
    const candidates = [
      'VACUUM t', 'ANALYZE t', 'CREATE INDEX CONCURRENTLY i1 ON t (b)', 'CREATE UNIQUE INDEX CONCURRENTLY i2 ON t (b)',
      'CREATE INDEX "concurrently" ON t (b)', 'DROP INDEX CONCURRENTLY t_pkey', 'REINDEX TABLE CONCURRENTLY t',
      'REINDEX (CONCURRENTLY) TABLE t', 'REINDEX (CONCURRENTLY false) TABLE t', 'REINDEX TABLE t', 'REINDEX SCHEMA public',
      `REINDEX DATABASE ${database}`, `REINDEX SYSTEM ${database}`, 'CREATE DATABASE never_made', 'DROP DATABASE IF EXISTS never_made',
      "ALTER SYSTEM SET work_mem = '4MB'", "CREATE TABLESPACE never_made LOCATION '/nonexistent'", 'DROP TABLESPACE IF EXISTS never_made',
      `ALTER DATABASE ${database} SET TABLESPACE pg_default`, `ALTER DATABASE ${database} SET default_tablespace = ''`,
      'CLUSTER', 'CLUSTER VERBOSE', 'CLUSTER t USING t_pkey', 'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY',
      'ALTER TABLE p DETACH PARTITION p1', 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv', 'DISCARD ALL', 'DISCARD PLANS',
      'SAVEPOINT s', "COMMIT PREPARED 'nope'", "ROLLBACK PREPARED 'nope'",
    ];
    // Only a superuser gets as far as the transaction check of CREATE SUBSCRIPTION
    const [{ rolsuper }] = await sql`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`;
    if (rolsuper) candidates.push(sub(''), sub(' WITH (connect = false)'));
    for (const text of candidates) {
      const code = await sql
        .begin(async (tx) => {
          await tx.unsafe(text);
          throw rollback;
        })
        .then(() => 'committed', (e: { code?: string }) => (e === rollback ? 'ran' : e.code));
      const refused = code === '25001'; // active_sql_transaction: "cannot run inside a transaction block"
      assert.is(refused, classifyStatement(text) !== 'ordinary', `${text}: server said ${code}`);
    }
  });

  server.run();
}

test.run();
