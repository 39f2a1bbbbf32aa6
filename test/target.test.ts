import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../src/graph.js';
import { SqlrevError } from '../src/errors.js';
import { graph } from './support/graphs.js';
import { currentHeads, parseTarget, resolveDownTarget, resolveUpTarget } from '../src/target.js';

/** Runs fn, expects a usage error with `code`, returns it. */
function fails(code: string, fn: () => unknown): SqlrevError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, SqlrevError);
    const err = e as SqlrevError;
    assert.is(err.code, code, err.message);
    assert.is(err.exitCode, 2);
    assert.ok(err.hint, 'every error says what to do next');
    return err;
  }
  throw new assert.Assertion({ message: `expected error ${code}`, generated: false, operator: 'throws', expects: code, actual: 'none' });
}
const up = (g: Graph, applied: string[], text: string) => resolveUpTarget(g, new Set(applied), parseTarget(text));
const down = (g: Graph, applied: string[], text: string) => resolveDownTarget(g, new Set(applied), parseTarget(text));

const chain = graph({ a: [], b: ['a'], c: ['b'], d: ['c'] });
const branches = graph({ r: [], x1: ['r'], x2: ['x1'], y1: ['r'] });
const merge2 = graph({ r: [], x: ['r'], y: ['r'], m: ['x', 'y'] });
const merge3 = graph({ r: [], a: ['r'], b: ['r'], c: ['r'], m: ['a', 'b', 'c'] });
const twoRoots = graph({ p: [], q: [] });

test('parseTarget reads every form of the contract', () => {
  assert.equal(parseTarget('head'), { kind: 'head', text: 'head' });
  assert.equal(parseTarget('heads'), { kind: 'heads', text: 'heads' });
  assert.equal(parseTarget(' base '), { kind: 'base', text: 'base' });
  assert.equal(parseTarget('3f2a'), { kind: 'rev', text: '3f2a', ref: '3f2a' });
  assert.equal(parseTarget('+2'), { kind: 'step', text: '+2', steps: 2 });
  assert.equal(parseTarget('-3'), { kind: 'step', text: '-3', steps: -3 });
  assert.equal(parseTarget('ab12+1'), { kind: 'walk', text: 'ab12+1', ref: 'ab12', steps: 1 });
  assert.equal(parseTarget('ab12-2'), { kind: 'walk', text: 'ab12-2', ref: 'ab12', steps: -2 });
  assert.equal(parseTarget('head-1'), { kind: 'walk', text: 'head-1', ref: 'head', steps: -1 });
});

test('parseTarget refuses malformed text and names the forms that exist', () => {
  for (const text of ['', 'a b', '+', '++1', '1.5', 'x-y', '+1e3', 'a_b', '-']) {
    const e = fails('invalid-target', () => parseTarget(text));
    assert.match(e.message, '`heads`');
  }
});

test('parseTarget refuses zero, unsafe step counts and stepping from heads', () => {
  for (const text of ['+0', '-0', 'a+0', 'a-00']) fails('invalid-target', () => parseTarget(text));
  fails('invalid-target', () => parseTarget('+99999999999999999999'));
  assert.match(fails('invalid-target', () => parseTarget('heads-1')).hint ?? '', '<id>-1');
});

test('head is the single head; several heads are an error naming them', () => {
  assert.equal(up(chain, [], 'head'), { ids: ['d'] });
  const e = fails('multiple-heads', () => up(branches, [], 'head'));
  assert.equal(e.candidates, ['x2', 'y1']);
  for (const s of ['migrate up heads', 'migrate up <id>', 'migrate merge', 'x2', 'y1']) assert.match(e.hint ?? '', s);
  const d = fails('multiple-heads', () => down(branches, ['r'], 'head'));
  assert.match(d.hint ?? '', 'migrate down <id>');
});

test('head on a project without revisions means nothing to do', () => {
  const empty = graph({});
  assert.equal(up(empty, [], 'head'), { ids: [] });
  assert.equal(down(empty, [], 'head'), { kind: 'base' });
});

test('head on a graph that is only a cycle is an error pointing to verify', () => {
  const e = fails('no-head', () => up(graph({ a: ['b'], b: ['a'] }), [], 'head'));
  assert.match(e.hint ?? '', 'migrate verify');
});

test('heads is every head; base is nothing applied', () => {
  assert.equal(up(branches, [], 'heads'), { ids: ['x2', 'y1'] });
  assert.equal(up(chain, ['a'], 'base'), { ids: [] });
  assert.equal(down(chain, ['a', 'b'], 'base'), { kind: 'base' });
  assert.equal(down(branches, ['r', 'x1', 'x2', 'y1'], 'heads'), { kind: 'keep', ids: ['x2', 'y1'] });
});

test('an id or unique prefix names that revision; unknown and ambiguous ones fail', () => {
  assert.equal(up(branches, [], 'y'), { ids: ['y1'] });
  assert.equal(down(chain, ['a', 'b', 'c'], 'b'), { kind: 'keep', ids: ['b'] });
  assert.equal(fails('ambiguous-revision', () => up(branches, [], 'x')).candidates, ['x1', 'x2']);
  fails('unknown-revision', () => up(branches, [], 'zz'));
});

test('+N takes the only ready revision N times', () => {
  assert.equal(up(chain, ['a'], '+2'), { ids: ['b', 'c'] });
  assert.equal(up(merge2, ['r', 'x', 'y'], '+1'), { ids: ['m'] });
  assert.equal(up(chain, [], '+4'), { ids: ['a', 'b', 'c', 'd'] });
});

test('+N with several ready revisions is ambiguous and lists them', () => {
  const e = fails('ambiguous-next', () => up(branches, ['r'], '+1'));
  assert.equal(e.candidates, ['x1', 'y1']);
  assert.match(e.hint ?? '', '`migrate up x1`');
  assert.match(e.hint ?? '', '`migrate up heads`');
  const later = fails('ambiguous-next', () => up(merge3, [], '+2'));
  assert.equal(later.candidates, ['a', 'b', 'c']);
  assert.match(later.message, 'after 1 step');
});

test('+N beyond what is pending says how many are pending', () => {
  const e = fails('beyond-pending', () => up(chain, ['a', 'b'], '+3'));
  assert.match(e.message, 'only 2 revision(s) are pending');
  assert.equal(e.candidates, ['c', 'd']);
  assert.match(e.hint ?? '', '`migrate up +2`');
  const none = fails('beyond-pending', () => up(chain, ['a', 'b', 'c', 'd'], '+1'));
  assert.match(none.message, 'nothing is pending');
  assert.match(none.hint ?? '', 'migrate status');
});

test('-N in up and +N in down are usage errors pointing to the other command', () => {
  assert.match(fails('down-only-target', () => up(chain, ['a'], '-2')).hint ?? '', '`migrate down -2`');
  assert.match(fails('up-only-target', () => down(chain, ['a'], '+2')).hint ?? '', '`migrate up +2`');
});

test('-N reverts the single current head N times', () => {
  assert.equal(down(chain, ['a', 'b', 'c'], '-2'), { kind: 'revert', ids: ['c', 'b'] });
  assert.equal(down(merge2, ['r', 'x', 'y', 'm'], '-1'), { kind: 'revert', ids: ['m'] });
  assert.equal(down(chain, ['a', 'b'], '-2'), { kind: 'revert', ids: ['b', 'a'] });
});

test('-N with several current heads is ambiguous: -2 below a merge names both parents', () => {
  const e = fails('ambiguous-current', () => down(merge2, ['r', 'x', 'y', 'm'], '-2'));
  assert.equal(e.candidates, ['x', 'y']);
  assert.match(e.message, 'after 1 step');
  assert.match(e.hint ?? '', 'migrate down <id>');
  assert.equal(fails('ambiguous-current', () => down(branches, ['r', 'x1', 'y1'], '-1')).candidates, ['x1', 'y1']);
});

test('-N beyond what is applied says how many are applied', () => {
  const e = fails('beyond-applied', () => down(chain, ['a'], '-2'));
  assert.match(e.message, 'only 1 revision(s) are applied');
  assert.equal(e.candidates, ['a']);
  assert.match(e.hint ?? '', '`migrate down -1`');
  assert.match(e.hint ?? '', '`migrate down base`');
  assert.match(fails('beyond-applied', () => down(chain, [], '-1')).message, 'nothing is applied');
});

test('<id>+N and <id>-N walk the only child or parent', () => {
  assert.equal(up(chain, [], 'a+2'), { ids: ['c'] });
  assert.equal(up(chain, [], 'd-3'), { ids: ['a'] });
  assert.equal(up(chain, [], 'head-1'), { ids: ['c'] });
  assert.equal(up(chain, [], 'base+1'), { ids: ['a'] });
  assert.equal(down(chain, ['a', 'b', 'c', 'd'], 'd-2'), { kind: 'keep', ids: ['b'] });
});

test('walking back past a root reaches base, and past base is an error', () => {
  assert.equal(up(chain, [], 'a-1'), { ids: [] });
  assert.equal(down(chain, ['a', 'b'], 'b-2'), { kind: 'base' });
  const e = fails('beyond-base', () => down(chain, ['a'], 'a-2'));
  assert.match(e.hint ?? '', '`migrate down base`');
});

test('walking forward past a head is an error naming where to stop', () => {
  const e = fails('beyond-head', () => up(chain, [], 'b+3'));
  assert.equal(e.candidates, ['d']);
  assert.match(e.hint ?? '', '`migrate up b+2`');
  assert.match(fails('beyond-head', () => up(chain, [], 'd+1')).hint ?? '', '`migrate up d`');
});

test('walking from a fork or a merge is ambiguous and suggests each branch', () => {
  const child = fails('ambiguous-child', () => up(branches, [], 'r+2'));
  assert.equal(child.candidates, ['x1', 'y1']);
  assert.match(child.hint ?? '', '`migrate up x1+1` or `migrate up y1+1`');
  const parent = fails('ambiguous-parent', () => down(merge3, ['r', 'a', 'b', 'c', 'm'], 'm-1'));
  assert.equal(parent.candidates, ['a', 'b', 'c']);
  assert.match(parent.hint ?? '', '`migrate down a`');
  assert.match(fails('ambiguous-parent', () => up(merge2, [], 'm-2')).hint ?? '', '`migrate up x-1`');
  assert.equal(fails('ambiguous-child', () => up(twoRoots, [], 'base+1')).candidates, ['p', 'q']);
});

test('up of an applied target is nothing to do, not an error', () => {
  assert.equal(up(chain, ['a', 'b'], 'b'), { ids: ['b'] });
});

test('down to a revision that is not applied fails and suggests applying it', () => {
  const e = fails('not-applied', () => down(branches, ['r', 'x1'], 'y1'));
  assert.is(e.revision, 'y1');
  assert.equal(e.candidates, ['x1'], 'the current heads');
  assert.match(e.hint ?? '', '`migrate up y1`');
  fails('not-applied', () => down(chain, ['a'], 'head'));
});

test('currentHeads lists applied revisions with no applied child, in graph order', () => {
  assert.equal(currentHeads(merge3, new Set(['r', 'c', 'a'])), ['a', 'c']);
  assert.equal(currentHeads(chain, new Set()), []);
});

test.run();
