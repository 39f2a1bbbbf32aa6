/**
 * The splitter against the server's own parser. Each seeded script is full of
 * dollar quotes, nested comments, E'' and standard strings, odd quoted
 * identifiers and BEGIN ATOMIC bodies, with semicolons inside all of them.
 * On a real server it runs three ways, each in a transaction rolled back after
 * looking (so every script starts from an empty database):
 *   A  the whole script as one simple query: the server splits it;
 *   B  splitSql's statements one at a time, each first parsed alone with the
 *      extended protocol (which refuses two commands glued together);
 *   C  the statements joined by newlines, as sqlrev sends a revision.
 * Tables and their rows, views, and routine definitions must come out equal.
 *   SQLREV_DIFF_SCRIPTS=5000 SQLREV_FUZZ_SEED=9 npx uvu dist/test '^split-differential\.test\.js$'
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import { splitSql } from '../src/split.js';
import { campaign, Random } from './support/random.js';
import { serverVersion, withDatabase } from './support/pg.js';

// ------------------------------------------------------------ the scripts

const PAYLOAD = ['a', 'Z', '0', ' ', ';', ';;', "'", "''", '"', '$', '$$', '$a$', '\\', '\\\\', "\\'", '--', '/*', '*/', '\n', '\t', 'é', '😀', 'end', 'begin', 'E', '(', ')'];

function payload(r: Random): string {
  let s = '';
  for (let n = r.int(10); n > 0; n--) s += r.pick(PAYLOAD);
  return s;
}

const q = (s: string) => s.replace(/'/g, "''");

/** `$tag$body$tag$` with a tag the body cannot close early. */
function dollar(r: Random, body: string): string {
  for (const tag of [r.pick(['', 'a', 'x1', 'tag_2', 'é', 'Body']), 'q1', 'q2', 'q3', 'zz9']) {
    const quote = `$${tag}$`;
    const text = quote + body + quote;
    if (text.indexOf(quote, quote.length) === quote.length + body.length) return text;
  }
  return `'${q(body)}'`;
}

/** A text literal in one of PostgreSQL's spellings. */
function literal(r: Random): string {
  const p = payload(r);
  switch (r.int(7)) {
    case 0: return `'${q(p)}'`;
    case 1: {
      const escaped = p.replace(/[\\'\n]/g, (c) => (c === '\\' ? '\\\\' : c === "'" ? r.pick(["\\'", "''"]) : r.pick(['\\n', '\n'])));
      return `${r.pick(['E', 'e'])}'${escaped}'`;
    }
    case 2: return dollar(r, p);
    case 3: return `U&'${q(p.replace(/\\/g, '\\\\'))}\\0041'`;
    // 'a'<newline>'b' is one literal (not after E'': psql and the server read that differently)
    case 4: return `'${q(p)}'\n  '${q(payload(r))}'`;
    case 5: return `${literal(r)} || ${literal(r)}`;
    default: return `'${q(p)}'::text`;
  }
}

/** Whitespace or a comment, with semicolons and quotes inside. */
function gap(r: Random): string {
  switch (r.int(6)) {
    case 0: return ` -- ${payload(r).replace(/\n/g, '')};\n`;
    case 1: return ` /* ${payload(r).replace(/\*\/|\/\*/g, '')} /* nested; */ ; */ `;
    case 2: return '\n';
    default: return ' ';
  }
}

function identifier(r: Random, k: number): string {
  return `"${(payload(r).replace(/\n|\t/g, '').slice(0, 20) + k).replace(/"/g, '""')}"`;
}

/** 1–12 statements whose effects show in the catalog or in table t. */
function script(seed: number): string {
  const r = new Random(seed);
  const g = () => gap(r);
  const parts = [`create table t (n int, v text)`];
  for (let k = 1, n = 1 + r.int(12); k <= n; k++) {
    const lit = () => literal(r);
    switch (r.int(10)) {
      case 0: parts.push(`insert into${g()}t values (${k},${g()}${lit()})`); break;
      case 1: {
        const table = identifier(r, k);
        parts.push(`create table ${table} (${identifier(r, k)} text)`, `insert into ${table} values (${lit()})`);
        break;
      }
      case 2: parts.push(`create function f${k}() returns text language plpgsql as ${dollar(r, ` begin${g()}return ${lit()}; end `)}`); break;
      case 3: parts.push(`create function s${k}() returns text language sql as '${q(`select ${lit()}`)}'`); break;
      case 4:
        parts.push(`${r.pick(['create', 'CREATE OR REPLACE'])} function a${k}() returns text language sql ${r.pick(['begin atomic', 'BEGIN ATOMIC', 'Begin\nAtomic'])}${g()}` +
          `insert into t values (${k}, ${lit()});${g()}select case when ${k} > 0 then ${lit()} else (case when false then ${lit()} end) ${r.pick(['end', 'END'])};${g()}end`);
        break;
      case 5:
        parts.push(`create procedure p${k}() language sql begin atomic insert into t values (${k}, ${lit()});${g()}insert into t values (${-k}, ${lit()}); end`, `call p${k}()`);
        break;
      case 6: parts.push(`do ${dollar(r, `begin insert into t values (${k}, ${lit()}); end`)}`); break;
      case 7: parts.push(`create view ${identifier(r, k)} as select ${lit()} as c`); break;
      case 8: parts.push(`create function r${k}(a text default ${lit()}) returns text language sql return a || ${lit()}`); break;
      default: parts.push(`select ${lit()}${g()}`); break;
    }
  }
  let sql = r.chance(0.5) ? g() : '';
  for (const [i, part] of parts.entries()) {
    sql += part + (i < parts.length - 1 || r.chance(0.5) ? ';' : '') + (r.chance(0.1) ? ';' : '') + g();
  }
  return sql;
}

// ------------------------------------------------------------ running them

/** Everything the statements could have made, as one comparable text. */
const OBSERVE = `select json_build_object(
  'relations', (select json_agg(json_build_array(c.relname, c.relkind,
      case c.relkind when 'r' then query_to_xml(format('select * from %I x order by x::text', c.relname), true, false, '')::text
                     when 'v' then pg_get_viewdef(c.oid) end,
      (select json_agg(a.attname order by a.attnum) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0))
    order by c.relname) from pg_class c where c.relnamespace = 'public'::regnamespace),
  'routines', (select json_agg(pg_get_functiondef(p.oid) order by pg_get_functiondef(p.oid)) from pg_proc p where p.pronamespace = 'public'::regnamespace)
)::text as state`;

type Outcome = { state: string } | { failed: string };

/** Sends `queries` pipelined inside a transaction that is rolled back; the state, or the first failure. */
async function observe(sql: postgres.Sql, queries: { label: string; run: () => Promise<unknown> }[]): Promise<Outcome> {
  const sent = [sql.unsafe('begin').simple(), ...queries.map((x) => x.run()), sql.unsafe(OBSERVE).simple()];
  const settled = await Promise.allSettled(sent);
  await sql.unsafe('rollback').simple();
  const k = settled.findIndex((s) => s.status === 'rejected');
  if (k >= 0) return { failed: `${queries[k - 1]?.label ?? 'observing'}: ${(settled[k] as PromiseRejectedResult).reason}` };
  return { state: ((settled.at(-1) as PromiseFulfilledResult<{ state: string }[]>).value)[0].state };
}

const { cases: SCRIPTS, seed: SEED } = campaign(200, 'SQLREV_DIFF_SCRIPTS');

test(`${SCRIPTS} generated scripts leave the same tables, rows and routines whether the server or splitSql splits them`, async () => {
  const started = performance.now();
  let statements = 0;
  await withDatabase((urlA) => withDatabase(async (urlB) => {
    const options = { max: 1, prepare: false, onnotice: () => undefined };
    let [a, b] = [postgres(urlA, options), postgres(urlB, options)];
    try {
      for (let k = 0; k < SCRIPTS; k++) {
        if (k > 0 && k % 100 === 0) {
          // Fresh sessions: one backend running thousands of rolled-back DDL scripts grows and slows.
          await Promise.all([a.end(), b.end()]);
          [a, b] = [postgres(urlA, options), postgres(urlB, options)];
        }
        const seed = SEED + k;
        const text = script(seed);
        const split = splitSql(text).statements;
        statements += split.length;
        const at = `seed ${seed}: script ${JSON.stringify(text)}\nsplit into ${JSON.stringify(split.map((s) => s.text))}\n`;
        const joinedText = split.map((s) => (s.terminated ? s.text : s.text + ';')).join('\n');
        // A then C on one database while B runs on the other.
        const [[whole, joined], one] = await Promise.all([
          observe(a, [{ label: 'the whole script', run: () => a.unsafe(text).simple() }]).then(async (x) =>
            [x, await observe(a, [{ label: 'the joined statements', run: () => a.unsafe(joinedText).simple() }])]),
          observe(b, split.flatMap((s, i) => [
            { label: `statement ${i + 1} parsed alone`, run: () => b.unsafe(s.text).describe() },
            { label: `statement ${i + 1}`, run: () => b.unsafe(s.text).simple() },
          ])),
        ]);
        assert.ok('state' in whole, `${at}the generator made a script the server refuses: ${'failed' in whole && whole.failed}`);
        assert.equal(one, whole, `${at}one statement at a time`);
        assert.equal(joined, whole, `${at}joined`);
      }
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  }));
  if (process.env.SQLREV_DIFF_SCRIPTS) {
    process.stderr.write(`split differential: ${SCRIPTS} scripts (${statements} statements) from seed ${SEED} on PostgreSQL ${await serverVersion()} in ${Math.round(performance.now() - started)} ms\n`);
  }
});

test.run();
