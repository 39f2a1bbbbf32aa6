import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checksum, normaliseBytes, normaliseText } from '../src/checksum.js';
import { readRevisions, RevisionBuilder } from '../src/files.js';
import { projectFromEntries } from '../src/project.js';
import { entries, pair } from './support/folder.js';

const load = (files: Record<string, string | Uint8Array>) => projectFromEntries('migrations', entries(files));
const codes = (files: Record<string, string | Uint8Array>) => load(files).problems.map((p) => p.code);

const files = suite('files');

files('a clean pair becomes a revision with id, slug, message and parents', () => {
  const p = load({
    '0001_create_users.up.sql': '-- parent: base\ncreate table users (id int);\n',
    '0001_create_users.down.sql': 'drop table users;\n',
    '0002.up.sql': '-- parent: 0001\n-- message: Add email\nalter table users add email text;\n',
    '0002.down.sql': 'alter table users drop email;\n',
  });
  assert.equal(p.problems, []);
  const r1 = p.revisions.get('0001')!;
  assert.is(r1.slug, 'create_users');
  assert.is(r1.message, 'create users');
  assert.equal(r1.parents, []);
  assert.is(r1.up.bodyLine, 2);
  const r2 = p.revisions.get('0002')!;
  assert.is(r2.message, 'Add email');
  assert.equal(r2.parents, ['0001']);
  assert.is(r2.up.transactional, true);
});

files('checksums ignore a BOM and CRLF line ends but see every other byte', () => {
  const lf = '-- parent: base\nselect 1;\n';
  const crlf = '\ufeff-- parent: base\r\nselect 1;\r\n';
  assert.is(checksum(normaliseBytes(Buffer.from(crlf))), checksum(normaliseBytes(Buffer.from(lf))));
  assert.is.not(checksum(normaliseBytes(Buffer.from(lf + ' '))), checksum(normaliseBytes(Buffer.from(lf))));
  assert.match(checksum(lf), /^sha256:[0-9a-f]{64}$/);
});

files('exactly one BOM is removed: the same text as bytes or as a string, and a second BOM stays', () => {
  const bom = '\ufeff';
  assert.is(normaliseBytes(Buffer.from(bom + 'select 1;\r\n')), 'select 1;\n');
  assert.is(normaliseBytes(Buffer.from(bom + bom + 'select 1;')), bom + 'select 1;');
  assert.is(normaliseBytes(Buffer.from(bom + bom + 'x')), normaliseText(bom + bom + 'x'));
});

files('a missing parent header names the file and line 1', () => {
  const p = load({ '0001_a.up.sql': 'create table a ();\n', '0001_a.down.sql': 'drop table a;\n' });
  assert.equal(p.problems.map((x) => [x.code, x.file, x.line, x.revision]), [['missing-parent-header', 'migrations/0001_a.up.sql', 1, '0001']]);
});

files('a misspelled parent header is reported at its line with the key to use', () => {
  const p = load({ '0001_a.up.sql': '-- message: a\n-- parnet: base\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  const [problem] = p.problems;
  assert.is(problem.code, 'missing-parent-header');
  assert.is(problem.line, 2);
  assert.match(problem.message, 'parnet');
  assert.match(problem.hint!, '-- parent:');
});

files('a parent header in the wrong case counts as misspelled', () => {
  const p = load({ '0001_a.up.sql': '-- Parent: base\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  assert.is(p.problems[0].code, 'missing-parent-header');
  assert.match(p.problems[0].hint!, 'parent');
});

files('headers end at the first SQL line', () => {
  const p = load({ '0001_a.up.sql': 'select 1;\n-- parent: base\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems.map((x) => x.code), ['missing-parent-header']);
});

files('a lone CR ends a header as it ends a -- comment for the server: what follows is SQL (found by fuzzing)', () => {
  // The server runs `drop table users;` here, so the parent header after it is no header.
  const p = load({ '0001_a.up.sql': '-- message: x\rdrop table users;\n-- parent: base\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems.map((x) => [x.code, x.line]), [['missing-parent-header', 1]]);
  const ok = load({ '0001_a.up.sql': '-- parent: base\r-- message: two headers, one line\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(ok.problems, []);
  assert.is(ok.revisions.get('0001')!.message, 'two headers, one line');
});

files('a no-break space or BOM before -- makes the line SQL, not a header (found by fuzzing)', () => {
  for (const space of ['\u00a0', '\ufeff', '\u3000']) {
    const p = load({ '0001_a.up.sql': `-- message: x\n${space}-- parent: base\n`, '0001_a.down.sql': 'select 1;\n' });
    assert.equal(p.problems.map((x) => [x.code, x.line]), [['missing-parent-header', 1]], JSON.stringify(space));
  }
  const tabs = load({ '0001_a.up.sql': '\t-- parent: base \f\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(tabs.problems, []);
});

files('blank lines and other comments may sit among the headers', () => {
  const p = load({ '0001_a.up.sql': '-- Author: someone\n\n-- parent: base\n-- ticket: DBA-12\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems, []);
  assert.is(p.revisions.get('0001')!.up.bodyLine, 5);
});

files('a comment key of megabytes is passed over without an edit-distance table', () => {
  // Before: 3.6 s per megabyte of key (a table row per letter, four times). The cap is loose on purpose.
  const started = performance.now();
  const p = load({ '0001_a.up.sql': `-- ${'x'.repeat(2_000_000)}: y\n-- parent: base\n`, '0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems, []);
  assert.ok(performance.now() - started < 2000, `took ${Math.round(performance.now() - started)} ms`);
});

files('a duplicated header is an error at its second line', () => {
  const p = load({ '0001_a.up.sql': '-- parent: base\n-- parent: base\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems.map((x) => [x.code, x.line]), [['duplicate-header', 2]]);
});

files('merge parents may be separated by spaces or commas', () => {
  const p = load({ ...pair('a', 'base'), ...pair('b', 'base'), ...pair('m', 'a, b'), ...pair('n', 'm') });
  assert.equal(p.problems, []);
  assert.equal(p.revisions.get('m')!.parents, ['a', 'b']);
});

files('base cannot be combined with other parents', () => {
  assert.equal(codes({ ...pair('a', 'base'), ...pair('b', 'base a') }), ['bad-header']);
});

files('an unknown parent is reported at the parent header line', () => {
  const p = load({ '0002_a.up.sql': '-- message: x\n-- parent: 0001\nselect 1;\n', '0002_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems.map((x) => [x.code, x.file, x.line, x.revision]), [['unknown-parent', 'migrations/0002_a.up.sql', 2, '0002']]);
});

files('a duplicate id names both files', () => {
  const p = load({ ...pair('0001', 'base', 'select 1;', 'one'), ...pair('0001', 'base', 'select 1;', 'two') });
  const dup = p.problems.filter((x) => x.code === 'duplicate-id');
  assert.ok(dup.length >= 1);
  assert.match(dup[0].message, 'migrations/0001_one.up.sql');
  assert.match(dup[0].message, 'migrations/0001_two.up.sql');
});

files('an unpaired up or down file is reported with the file to create', () => {
  const p = load({ '0001_a.up.sql': '-- parent: base\nselect 1;\n', '0002_b.down.sql': 'select 1;\n' });
  const byCode = Object.fromEntries(p.problems.map((x) => [x.code, x]));
  assert.match(byCode['missing-down-file'].hint!, 'migrations/0001_a.down.sql');
  assert.match(byCode['missing-up-file'].hint!, 'migrations/0002_b.up.sql');
});

files('badly named files and ids that are not tokens are reported', () => {
  const p = load({ ...pair('0001', 'base'), 'notes.sql': 'select 1;', '00-1_x.up.sql': '-- parent: base\n', '00-1_x.down.sql': '' });
  assert.equal(p.problems.map((x) => [x.code, x.file]), [
    ['bad-id', 'migrations/00-1_x.down.sql'],
    ['bad-id', 'migrations/00-1_x.up.sql'],
    ['bad-file-name', 'migrations/notes.sql'],
  ]);
});

files('a name is read as a whole: a line break in it, a suffix in the wrong case or a dotted id is no revision', () => {
  const p = load({
    ...pair('0001', 'base'),
    '0002_a\nb.up.sql': '-- parent: 0001\n', '0002_a\nb.down.sql': 'select 1;\n',
    '0006_a\rb.up.sql': '-- parent: 0001\n', '0007_a\u2028b.up.sql': '-- parent: 0001\n', '0008_a\u2029b.up.sql': '-- parent: 0001\n',
    '0003_c.UP.sql': '-- parent: 0001\n',
    '0004.down.up.sql': '-- parent: 0001\n',
    '0005_x.y.down.sql': 'select 1;\n', '0005_x.y.up.sql': '-- parent: 0001\n',
  });
  assert.equal(p.problems.map((x) => [x.code, x.file]), [
    ['bad-file-name', 'migrations/0002_a\nb.down.sql'],
    ['bad-file-name', 'migrations/0002_a\nb.up.sql'],
    ['bad-file-name', 'migrations/0003_c.UP.sql'],
    ['bad-id', 'migrations/0004.down.up.sql'],
    ['bad-file-name', 'migrations/0006_a\rb.up.sql'],
    ['bad-file-name', 'migrations/0007_a\u2028b.up.sql'],
    ['bad-file-name', 'migrations/0008_a\u2029b.up.sql'],
  ]);
  // A dot in the slug is allowed: the id is what comes before the first "_".
  assert.is(p.revisions.get('0005')!.slug, 'x.y');
});

files('empty files and invalid UTF-8 are reported with a line', () => {
  const bad = Buffer.concat([Buffer.from('-- parent: base\nselect 1;\nselect \''), Buffer.from([0xff, 0xfe]), Buffer.from('\';\n')]);
  const p = load({ '0001_a.up.sql': '', '0001_a.down.sql': 'select 1;', '0002_b.up.sql': bad, '0002_b.down.sql': 'select 1;' });
  assert.equal(p.problems.map((x) => [x.code, x.line]), [['empty-file', 1], ['invalid-utf8', 3]]);
});

files('a cycle is printed as a → b → a', () => {
  const p = load({ ...pair('a', 'b'), ...pair('b', 'a') });
  const cycle = p.problems.find((x) => x.code === 'cycle');
  assert.ok(cycle, JSON.stringify(p.problems));
  assert.match(cycle!.message, /(a → b → a|b → a → b)/);
  assert.ok(cycle!.file && cycle!.line, 'a cycle problem names a file and line');
});

files('every problem in the folder is reported at once', () => {
  const p = load({
    '0001_a.up.sql': 'select 1;\n', '0001_a.down.sql': 'select 1;\n',
    '0002_b.up.sql': '-- parent: nope\n', '0002_b.down.sql': 'select 1;\n',
    '0003_c.up.sql': '-- parent: base\n',
  });
  assert.equal(p.problems.map((x) => x.code).sort(), ['missing-down-file', 'missing-parent-header', 'unknown-parent']);
});

files('transaction: false is read from either file; other values are errors', () => {
  const p = load({
    '0001_a.up.sql': '-- parent: base\n-- transaction: false\ncreate index concurrently i on t (x);\n',
    '0001_a.down.sql': '-- transaction: false\ndrop index concurrently i;\n',
    '0002_b.up.sql': '-- parent: 0001\n-- transaction: no\nselect 1;\n', '0002_b.down.sql': 'select 1;\n',
  });
  assert.is(p.revisions.get('0001')!.up.transactional, false);
  assert.is(p.revisions.get('0001')!.down.transactional, false);
  assert.equal(p.problems.map((x) => [x.code, x.line]), [['bad-header', 2]]);
});

files('a misspelled transaction header is an error rather than silently transactional', () => {
  const p = load({ '0001_a.up.sql': '-- parent: base\n-- transacton: false\nselect 1;\n', '0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems.map((x) => [x.code, x.line]), [['misspelled-header', 2]]);
});

files('irreversible is read from the down file and refused in the up file', () => {
  const p = load({
    '0001_a.up.sql': '-- parent: base\nselect 1;\n', '0001_a.down.sql': '-- irreversible: drops customer data\n',
    '0002_b.up.sql': '-- parent: 0001\n-- irreversible: no\nselect 1;\n', '0002_b.down.sql': 'select 1;\n',
  });
  assert.is(p.revisions.get('0001')!.irreversible, 'drops customer data');
  assert.equal(p.problems.map((x) => [x.code, x.file, x.line]), [['misplaced-header', 'migrations/0002_b.up.sql', 2]]);
});

files('files in subfolders pair by id', () => {
  const p = load({ 'v1/0001_a.up.sql': '-- parent: base\nselect 1;\n', 'v1/0001_a.down.sql': 'select 1;\n' });
  assert.equal(p.problems, []);
  assert.is(p.revisions.get('0001')!.up.path, 'migrations/v1/0001_a.up.sql');
});

files('a broken revision does not make its children report an unknown parent', () => {
  const p = load({ '0001_a.up.sql': '-- parnet: base\nselect 1;\n', '0001_a.down.sql': 'select 1;\n', ...pair('0002', '0001') });
  assert.equal(p.problems.map((x) => [x.code, x.revision]), [['missing-parent-header', '0001']]);
});

files('a revision whose files are still being read is not finished: finish says so instead of leaving it out, and can be asked again', () => {
  // The first pair is complete and has a problem (an empty down file); the second waits for its up file.
  const list = entries({ ...pair('0001', 'base'), '0001_rev.down.sql': '', ...pair('0002', '0001') });
  const builder = new RevisionBuilder(list, {}, { unread: new Uint8Array(list.length).fill(1) });
  [0, 1, 3].forEach((i) => builder.settle(i));
  assert.throws(() => builder.finish(), /revision 0002 finished before its files were read/);
  builder.settle(2);
  const done = builder.finish();
  assert.equal(done.problems.map((p) => p.code), ['empty-file']);
  assert.equal(done.revisions.map((r) => r.id), ['0002']);
  const again = builder.finish();
  assert.equal(again.problems.map((p) => p.code), ['empty-file']);
  assert.equal(again, done);
});

files('readRevisions leaves the entries as they were; a builder asked to drop the bytes drops each pair\'s once it is made', () => {
  const list = entries({ ...pair('0001', 'base'), ...pair('0002', '0001') });
  const before = list.map((e) => e.bytes);
  readRevisions(list);
  assert.ok(list.every((e, i) => e.bytes === before[i]), 'readRevisions keeps every entry\'s bytes');
  const builder = new RevisionBuilder(list, {}, { unread: new Uint8Array(list.length).fill(1), dropBytes: true });
  builder.settle(0);
  assert.ok(list[0].bytes !== undefined, 'half a pair is not made yet: its bytes are kept');
  builder.settle(1);
  assert.is(list[0].bytes, undefined);
  assert.is(list[1].bytes, undefined);
  assert.ok(list[2].bytes !== undefined);
  builder.settle(2);
  builder.settle(3);
  assert.equal(builder.finish().revisions.map((r) => r.id), ['0001', '0002']);
});

files.run();
