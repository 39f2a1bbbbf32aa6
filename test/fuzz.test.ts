/**
 * Fuzzing the three pure parsers (statement splitter, headers and the file
 * reader around them, targets) with random and mutated inputs. Each case has
 * its own seed; a failure starts with it. Longer campaigns:
 *   SQLREV_FUZZ_CASES=1000000 SQLREV_FUZZ_SEED=7 npx uvu dist/test '^fuzz\.test\.js$'
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { Lexer, splitSql, isCopyFromStdin } from '../src/split.js';
import { parseHeaders, KNOWN_HEADERS } from '../src/headers.js';
import { readRevisions, RevisionBuilder, type FileEntry } from '../src/files.js';
import { projectFromEntries } from '../src/project.js';
import { parseTarget, resolveDownTarget, resolveUpTarget } from '../src/target.js';
import { SqlrevError } from '../src/errors.js';
import { checksum } from '../src/checksum.js';
import { fuzz, mutate, mutateBytes, randomText } from './support/fuzz.js';
import { graph } from './support/graphs.js';
import type { Graph } from '../src/graph.js';

const CASES = 6000;

// ------------------------------------------------------------ the splitter

const FIXTURES = new URL('../../test/fixtures/split/', import.meta.url);
const sqlCorpus = readdirSync(FIXTURES).filter((f) => f.endsWith('.sql')).map((f) => readFileSync(new URL(f, FIXTURES), 'utf8'));

/** Line and code-point column of `offset`, computed the slow, obvious way. */
function lineColumn(s: string, offset: number): { line: number; column: number } {
  const before = s.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1 };
}

/** The offset of a 1-based line and code-point column. */
function offsetOf(s: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) at = s.indexOf('\n', at) + 1;
  for (let c = 1; c < column; c++) at += s.codePointAt(at)! > 0xffff ? 2 : 1;
  return at;
}

/**
 * Between statements there is only whitespace, comments, lone `;` and
 * meta-commands. A token still open where COPY data begins is cut there.
 */
function assertIgnorable(sql: string, from: number, to: number, cut: boolean): void {
  const lexer = new Lexer(sql);
  let at = from;
  while (at < to && lexer.next(at)) {
    const ok = lexer.kind === 'space' || lexer.kind === 'comment' || lexer.kind === 'meta' || (lexer.kind === 'punct' && sql[lexer.start] === ';');
    assert.ok(ok, `${lexer.kind} token ${JSON.stringify(sql.slice(lexer.start, lexer.end))} at ${lexer.start} belongs to no statement`);
    at = cut ? Math.min(lexer.end, to) : lexer.end;
  }
  assert.is(at, to, 'a token between statements runs into the next statement');
}

function checkSplit(sql: string): void {
  const { statements, metaCommands } = splitSql(sql);
  const metaAt = metaCommands.map((m) => offsetOf(sql, m.line, m.column));
  // The lines after a COPY ... FROM stdin up to its `\.` line are data: they may hold anything.
  const data: [number, number][] = [];
  for (const s of statements) {
    const from = sql.indexOf('\n', s.end) + 1;
    if (!s.terminated || !isCopyFromStdin(s.text) || from === 0 || data.some(([a, b]) => s.start >= a && s.start < b)) continue;
    const k = metaAt.findIndex((at) => at >= from);
    data.push([from, k < 0 ? sql.length : metaAt[k] + 2]);
  }
  let previousEnd = 0;
  const holes = [...statements.map((s): [number, number, boolean] => [s.start, s.end, true]), ...data.map(([a, b]): [number, number, boolean] => [a, b, false])];
  holes.sort((x, y) => x[0] - y[0]);
  for (const [a, b, isStatement] of holes) {
    assert.ok(a >= previousEnd, `statements and COPY data overlap at ${a}`);
    assertIgnorable(sql, previousEnd, a, !isStatement);
    previousEnd = b;
  }
  assertIgnorable(sql, previousEnd, sql.length, false);
  for (const s of statements) {
    assert.ok(s.end > s.start && s.end <= sql.length, `statement at ${s.start}–${s.end} out of the input`);
    assert.is(sql.slice(s.start, s.end), s.text);
    assert.equal({ line: s.line, column: s.column }, lineColumn(sql, s.start), 'line and column of the statement');
    // Trimmed, except that an unterminated string or comment takes the rest of the input.
    assert.ok(!/^[ \t\n\r\f]/.test(s.text) && (!s.terminated || !/[ \t\n\r\f]$/.test(s.text)), 'statements are trimmed');
    assert.ok(s.text !== ';' && (!s.terminated || s.text.endsWith(';')), 'a terminated statement ends with its own `;`');
    // Splitting a statement's text again gives it back whole.
    const again = splitSql(s.text);
    assert.equal(again.statements.map((t) => [t.text, t.terminated]), [[s.text, s.terminated]], 'splitting a statement again');
  }
  for (const [k, m] of metaCommands.entries()) {
    const at = metaAt[k];
    assert.ok((k === 0 || at > metaAt[k - 1]) && sql.startsWith(m.text, at) && m.text.startsWith('\\'), `meta-command ${JSON.stringify(m.text)} is where it says`);
    assert.ok(!statements.some((s) => at >= s.start && at < s.end), `meta-command at ${at} lies inside a statement`);
  }
}

test(`the splitter never throws, and its statements are ordered, exact and complete (${CASES} cases)`, () => {
  fuzz('split', CASES, (r) => (r.chance(0.4) ? randomText(r, 300) : mutate(r, r.pick(sqlCorpus))), checkSplit);
});

// ------------------------------------------------------------ headers and files

const headerCorpus = [
  '-- parent: base\n-- message: add users\n\ncreate table users (id int primary key);\n',
  '-- parent: 0001 0002\n-- transaction: false\ncreate index concurrently i on t (a);\n',
  '--parent:0001,0002\n--  message : merge  \n',
  '-- irreversible: drops the data\n-- transaction: true\ndrop table t;\n',
  '\n\n-- a note: not a header\n-- parnet: 0001\n-- parent: 0001\nselect 1;\n-- parent: 0002\n',
  '-- parent: base\n/* block */ select $$\n-- parent: x\n$$;\n',
];

const lineCount = (text: string) => text.split('\n').length;

function checkHeaders(text: string): void {
  const parsed = parseHeaders(text, 'm/0001_x.up.sql');
  const lines = text.split('\n');
  assert.ok(Number.isInteger(parsed.bodyLine) && parsed.bodyLine >= 1 && parsed.bodyLine <= lines.length + 1, `bodyLine ${parsed.bodyLine}`);
  for (const [key, h] of parsed.headers) {
    assert.ok(KNOWN_HEADERS.includes(key) && h.key === key);
    assert.ok(h.line >= 1 && h.line <= parsed.bodyLine, // equal: SQL after a lone CR on the header's line
       `header ${key} on line ${h.line}, body from ${parsed.bodyLine}`);
    assert.ok(lines[h.line - 1].includes(key) && !h.value.includes('\n'), `header ${key} is on its line`);
  }
  for (const p of parsed.problems) {
    assert.is(p.file, 'm/0001_x.up.sql');
    assert.ok(p.line !== undefined && p.line >= 1 && p.line <= lines.length && p.code && p.message, `problem ${JSON.stringify(p)}`);
  }
  // Headers are comments to PostgreSQL: no SQL starts before the body.
  const { statements, metaCommands } = splitSql(text);
  for (const s of [...statements, ...metaCommands]) {
    assert.ok(s.line >= parsed.bodyLine, `SQL ${JSON.stringify(s.text.slice(0, 40))} on line ${s.line}, inside the header block (body from ${parsed.bodyLine})`);
  }
}

test(`the header parser never throws; headers, problems and the body line hold (${CASES} cases)`, () => {
  fuzz('headers', CASES, (r) => (r.chance(0.3) ? randomText(r, 200) : mutate(r, r.pick(headerCorpus))), checkHeaders);
});

const utf8 = new TextEncoder();
const NAMES = ['0001_a', '0002_a', '0002', 'ab_x', 'a-b_c', '0003_b'];

/** A few pairs of files with mutated headers and bytes, sometimes oddly named or unreadable. */
function randomFolder(r: import('./support/random.js').Random): FileEntry[] {
  const entries: FileEntry[] = [];
  for (let k = r.int(5); k >= 0; k--) {
    const name = r.chance(0.9) ? r.pick(NAMES) : randomText(r, 12).replace(/[/\\]/g, '');
    for (const half of r.chance(0.9) ? ['up', 'down'] : [r.pick(['up', 'down', 'sql'])]) {
      const path = `m/${entries.length}/${name}.${half}.sql`; // two files may share a name, never a path
      if (r.chance(0.03)) {
        entries.push({ path, readError: 'EACCES' });
        continue;
      }
      const text = r.chance(0.8) ? mutate(r, r.pick(headerCorpus)) : randomText(r, 120);
      const bytes = utf8.encode(text);
      entries.push({ path, bytes: r.chance(0.5) ? mutateBytes(r, bytes) : bytes });
    }
  }
  return entries;
}

function checkFolder(entries: FileEntry[]): void {
  const lines = new Map(entries.map((e) => [e.path, e.bytes ? lineCount(Buffer.from(e.bytes).toString('latin1')) : 1]));
  const { revisions, problems } = readRevisions(entries);
  for (const p of problems) {
    assert.ok(typeof p.code === 'string' && p.message, `problem ${JSON.stringify(p)}`);
    assert.ok(p.file !== undefined && lines.has(p.file), `problem ${p.code} names no file of the folder: ${p.file}`);
    assert.ok(p.line === undefined || (p.line >= 1 && p.line <= lines.get(p.file)!), `problem ${p.code} on line ${p.line} of ${lines.get(p.file)}`);
  }
  for (const rev of revisions) {
    assert.ok(/^[0-9A-Za-z]+$/.test(rev.id) && rev.parents.every((p) => /^[0-9A-Za-z]+$/.test(p) && p !== 'base'), `revision ${rev.id}`);
    // Not "no CRLF left": CR CR LF normalises to CR LF, harmless as nothing normalises twice.
    assert.ok(rev.up.text.charCodeAt(0) !== 0xfeff && rev.up.checksum === checksum(rev.up.text), 'text without BOM, checksum of the text');
  }
  // The graph checks on top never throw either, and every problem keeps a file.
  for (const p of projectFromEntries('m', entries).problems) assert.ok(p.file !== undefined, `problem ${p.code} has no file`);
}

test(`reading a folder of mangled files never throws; every problem names a file and a real line (${CASES} cases)`, () => {
  fuzz('files', CASES, randomFolder, checkFolder);
});

test(`a folder built a file at a time, in any order, gives what readRevisions gives (${CASES / 2} cases)`, () => {
  // loadFolder settles each file as its chunk comes in, from either thread: any order, problems in the same order.
  const withOrder = (r: import('./support/random.js').Random) => {
    const entries = randomFolder(r);
    const order = entries.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return { entries, order };
  };
  fuzz('files in any order', CASES / 2, withOrder, ({ entries, order }) => {
    const builder = new RevisionBuilder(entries, {}, { unread: new Uint8Array(entries.length).fill(1) });
    for (const index of order) builder.settle(index);
    assert.equal(builder.finish(), readRevisions(entries));
  });
});

// ------------------------------------------------------------ targets

const graphs = [
  graph({}),
  graph({ a1: [], b2: ['a1'], c3: ['b2'] }),
  graph({ r: [], x1: ['r'], x2: ['x1'], y1: ['r'], m: ['x2', 'y1'], ab: ['m'], abc: ['m'] }),
  graph({ head: [], base: ['head'], heads: ['base'] }), // ids that read like keywords
];
const targetCorpus = ['head', 'heads', 'base', '+1', '-2', 'a1+1', 'x1-1', 'head-1', 'base+2', 'r+3', ' m ', 'ab', 'a-00', '+99999999999999999999', 'x'];

/** What `fn` returns, or the usage error it throws; any other throw fails the case. */
function attempt<T>(fn: () => T, g: Graph): T | SqlrevError {
  try {
    return fn();
  } catch (e) {
    assert.instance(e, SqlrevError, `threw ${String(e)}`);
    const err = e as SqlrevError;
    assert.ok(err.exitCode === 2 && /^[a-z-]+$/.test(err.code) && err.message && err.hint, `unstructured error ${JSON.stringify(err)}`);
    assert.ok(err.candidates.every((c) => g.has(c)), `candidates ${err.candidates} are revisions`);
    return err;
  }
}

function checkTarget({ text, g, applied }: { text: string; g: Graph; applied: string[] }): void {
  const expr = attempt(() => parseTarget(text), g);
  if (expr instanceof SqlrevError) {
    // The message quotes what was typed, so the user sees which argument was wrong.
    assert.ok(expr.message.includes(JSON.stringify(text)) || expr.message.includes(JSON.stringify(text.trim())), expr.message);
    return;
  }
  assert.is(expr.text, text.trim());
  assert.equal(parseTarget(expr.text), expr, 'parsing the parsed text again');
  if ('steps' in expr) assert.ok(Number.isSafeInteger(expr.steps) && expr.steps !== 0);
  const done = new Set(applied);
  const up = attempt(() => resolveUpTarget(g, done, expr), g);
  if (!(up instanceof SqlrevError)) assert.ok(up.ids.every((id) => g.has(id)), `up ids ${up.ids}`);
  const down = attempt(() => resolveDownTarget(g, done, expr), g);
  if (!(down instanceof SqlrevError) && 'ids' in down) assert.ok(down.ids.every((id) => done.has(id)), `down ids ${down.ids}`);
}

test(`targets parse or fail with a usage error, and resolve or fail the same way (${CASES} cases)`, () => {
  fuzz('target', CASES, (r) => {
    const g = r.pick(graphs);
    const text = r.chance(0.3) ? randomText(r, 12) : mutate(r, r.pick([...targetCorpus, ...g.order]));
    // Applied sets closed under ancestors: a prefix of the graph's order.
    return { text, g, applied: g.order.slice(0, r.int(g.order.length + 1)) };
  }, checkTarget);
});

test.run();
