import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../src/graph.js';
import { graph, thrown } from './support/graphs.js';
import { checkApplied, planDown, planUp } from '../src/plan.js';
import { parseTarget } from '../src/target.js';

const upSteps = (g: Graph, applied: string[], target: string) => planUp(g, new Set(applied), target).steps;
const downSteps = (g: Graph, applied: string[], target: string) => planDown(g, new Set(applied), target).steps;

const chain = graph({ a: [], b: ['a'], c: ['b'], d: ['c'] });
// Ids chosen so that global order interleaves the branches: r 1 2 3 5.
const branches = graph({ r: [], '1': ['r'], '5': ['1'], '2': ['r'], '3': ['2'] });
const diamond = graph({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: ['d'] });
const merge3 = graph({ r: [], a: ['r'], b: ['r'], c: ['r'], m: ['a', 'b', 'c'] });
const roots = graph({ p: [], q: [], pq: ['p', 'q'], q2: ['q'] });

test('up head applies every pending revision in order', () => {
  assert.equal(planUp(chain, new Set(), 'head'), { direction: 'up', steps: ['a', 'b', 'c', 'd'] });
  assert.equal(upSteps(chain, ['a', 'b'], 'head'), ['c', 'd']);
});

test('up accepts a parsed target as well as text', () => {
  assert.equal(planUp(chain, new Set(['a']), parseTarget('+1')).steps, ['b']);
});

test('up to a revision applies only it and its missing ancestors', () => {
  assert.equal(upSteps(branches, [], '5'), ['r', '1', '5']);
  assert.equal(upSteps(diamond, ['a', 'c'], 'd'), ['b', 'd']);
  assert.equal(upSteps(roots, [], 'pq'), ['p', 'q', 'pq']);
});

test('up heads applies every branch in global order, not one branch at a time', () => {
  assert.equal(upSteps(branches, [], 'heads'), ['r', '1', '2', '3', '5']);
  assert.equal(upSteps(merge3, ['r', 'b'], 'head'), ['a', 'c', 'm']);
});

test('up of an applied target, or of base, is an empty plan', () => {
  assert.equal(upSteps(chain, ['a', 'b'], 'b'), []);
  assert.equal(upSteps(chain, ['a', 'b'], 'a'), []);
  assert.equal(upSteps(chain, [], 'base'), []);
});

test('up on a project without revisions is an empty plan', () => {
  assert.equal(upSteps(graph({}), [], 'head'), []);
});

test('down reverts the applied descendants of the target, children first', () => {
  assert.equal(planDown(chain, new Set(['a', 'b', 'c', 'd']), 'b'), { direction: 'down', steps: ['d', 'c'] });
  assert.equal(downSteps(diamond, ['a', 'b', 'c', 'd', 'e'], 'b'), ['e', 'd']);
  assert.equal(downSteps(merge3, ['r', 'a', 'b', 'c', 'm'], 'r'), ['m', 'c', 'b', 'a']);
});

test('down leaves other branches untouched', () => {
  assert.equal(downSteps(branches, ['r', '1', '5', '2', '3'], '1'), ['5']);
  assert.equal(downSteps(roots, ['p', 'q', 'pq', 'q2'], 'p'), ['pq']);
});

test('down base reverts everything, in reverse global order', () => {
  assert.equal(downSteps(branches, ['r', '1', '5', '2', '3'], 'base'), ['5', '3', '2', '1', 'r']);
  assert.equal(downSteps(chain, [], 'base'), []);
});

test('down -N reverts exactly N revisions from the single current head', () => {
  assert.equal(downSteps(chain, ['a', 'b', 'c'], '-2'), ['c', 'b']);
  assert.equal(downSteps(merge3, ['r', 'a', 'b', 'c', 'm'], '-1'), ['m']);
});

test('down to the current head is an empty plan', () => {
  assert.equal(downSteps(chain, ['a', 'b'], 'b'), []);
});

test('plan errors surface as usage errors with exit 2', () => {
  for (const [fn, code] of [
    [() => planDown(chain, new Set(['a']), 'c'), 'not-applied'],
    [() => planUp(chain, new Set(), '-1'), 'down-only-target'],
    [() => planUp(chain, new Set(), 'nope'), 'unknown-revision'],
    [() => planUp(chain, new Set(), '+0'), 'invalid-target'],
  ] as const) {
    const e = thrown(fn);
    assert.is(e.code, code);
    assert.is(e.exitCode, 2);
  }
});

test('a plan that would need a revision on a cycle is refused with exit 3', () => {
  const { graph: g } = Graph.build([
    { id: 'a', parents: [] },
    { id: 'x', parents: ['a', 'y'] },
    { id: 'y', parents: ['x'] },
  ]);
  const e = thrown(() => planUp(g, new Set(), 'y'));
  assert.is(e.code, 'cycle');
  assert.is(e.exitCode, 3);
  assert.equal(e.candidates, ['x', 'y']);
  assert.equal(upSteps(g, [], 'a'), ['a'], 'the ordered part still plans');
});

test('revisions known only from the database plan like any other', () => {
  // The caller builds the graph from files plus stored rows: c and d exist only in the database.
  const g = graph({ a: [], b: ['a'], c: ['b'], d: ['c'] });
  assert.equal(downSteps(g, ['a', 'b', 'c', 'd'], 'a'), ['d', 'c', 'b']);
});

test('a graph with an unknown parent still plans what it can', () => {
  const { graph: g, problems } = Graph.build([
    { id: 'a', parents: [] },
    { id: 'b', parents: ['a', 'ghost'] },
  ]);
  assert.equal(problems.map((p) => p.code), ['unknown-parent']);
  assert.equal(upSteps(g, [], 'head'), ['a', 'b']);
});

test('checkApplied accepts a set closed under ancestors', () => {
  assert.equal(checkApplied(diamond, ['a', 'b', 'c', 'd']), []);
  assert.equal(checkApplied(diamond, []), []);
});

test('checkApplied reports each applied revision whose parent is not applied', () => {
  const problems = checkApplied(diamond, ['a', 'd', 'b']);
  assert.equal(problems.map((p) => [p.code, p.revision]), [['applied-not-closed', 'd']]);
  assert.match(problems[0].message, 'd is applied but its parent c is not');
  assert.ok(problems[0].hint);
  assert.equal(checkApplied(merge3, ['m']).length, 3, 'one problem per missing parent');
});

test('checkApplied reports applied ids unknown to the graph', () => {
  const problems = checkApplied(chain, ['a', 'zz', 'yy']);
  assert.equal(problems.map((p) => [p.code, p.revision]), [
    ['applied-unknown', 'yy'],
    ['applied-unknown', 'zz'],
  ]);
});

test.run();
