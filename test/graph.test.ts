import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../src/graph.js';
import { build, thrown } from './support/graphs.js';

function graph(spec: Record<string, string[]>): Graph {
  const { graph, problems } = build(spec);
  assert.equal(problems, [], 'fixture should be a valid graph');
  return graph;
}
const sorted = (s: Set<string>) => [...s].sort();

test('a linear chain orders parents first and has one root and one head', () => {
  const g = graph({ c: ['b'], a: [], b: ['a'] });
  assert.equal(g.order, ['a', 'b', 'c']);
  assert.equal(g.roots, ['a']);
  assert.equal(g.heads, ['c']);
  assert.equal(g.parents('c'), ['b']);
  assert.equal(g.children('a'), ['b']);
  assert.is(g.size, 3);
  assert.ok(g.has('b'));
  assert.not.ok(g.has('d'));
});

test('ready revisions run smallest id first, interleaving branches', () => {
  const g = graph({ '0': [], '1': ['0'], '5': ['1'], '2': ['0'], '3': ['2'] });
  assert.equal(g.order, ['0', '1', '2', '3', '5']);
  assert.equal(g.heads, ['3', '5']);
});

test('ids compare by code point: digits before upper case before lower case', () => {
  const g = graph({ b: [], B: [], '9': [] });
  assert.equal(g.order, ['9', 'B', 'b']);
});

test('children are sorted by id whatever the input order', () => {
  const g = graph({ r: [], z: ['r'], m: ['r'], a: ['r'] });
  assert.equal(g.children('r'), ['a', 'm', 'z']);
});

test('a merge of two branches is ordered after both and is the single head', () => {
  const g = graph({ r: [], x: ['r'], y: ['r'], m: ['y', 'x'] });
  assert.equal(g.order, ['r', 'x', 'y', 'm']);
  assert.equal(g.heads, ['m']);
  assert.equal(g.parents('m'), ['y', 'x'], 'parents keep the order given');
});

test('a merge of three branches waits for all three', () => {
  const g = graph({ r: [], a: ['r'], b: ['r'], c: ['r'], c2: ['c'], m: ['a', 'b', 'c2'] });
  assert.equal(g.order, ['r', 'a', 'b', 'c', 'c2', 'm']);
  assert.equal(sorted(g.ancestors(['m'])), ['a', 'b', 'c', 'c2', 'r']);
});

test('a diamond has each ancestor and descendant once', () => {
  const g = graph({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] });
  assert.equal(sorted(g.ancestors(['d'])), ['a', 'b', 'c']);
  assert.equal(sorted(g.descendants(['a'])), ['b', 'c', 'd']);
  assert.equal(sorted(g.descendants(['b'], true)), ['b', 'd']);
  assert.equal(sorted(g.ancestors(['b', 'c'])), ['a']);
});

test('ancestors of several starts include starts that are ancestors of others', () => {
  const g = graph({ a: [], b: ['a'], c: ['b'] });
  assert.equal(sorted(g.ancestors(['a', 'c'])), ['a', 'b']);
  assert.equal(sorted(g.ancestors(['a', 'c'], true)), ['a', 'b', 'c']);
  assert.equal(sorted(g.ancestors(['nope'], true)), [], 'unknown ids are ignored');
});

test('multiple roots are all listed and ordered by id', () => {
  const g = graph({ q: [], p: [], s: ['q'], t: ['p', 'q'] });
  assert.equal(g.roots, ['p', 'q']);
  assert.equal(g.order, ['p', 'q', 's', 't']);
  assert.equal(g.heads, ['s', 't']);
});

test('sortTopo returns a subset in global order without duplicates or unknown ids', () => {
  const g = graph({ '0': [], '1': ['0'], '5': ['1'], '2': ['0'], '3': ['2'] });
  assert.equal(g.sortTopo(['5', '3', '0', '3', 'x']), ['0', '3', '5']);
  assert.equal(g.sortTopo([]), []);
});

test('node() returns the node as given, parents() only known distinct parents', () => {
  const { graph: g, problems } = build({ a: [], b: ['a', 'ghost', 'a'] });
  assert.equal(g.node('b')?.parents, ['a', 'ghost', 'a']);
  assert.equal(g.parents('b'), ['a']);
  assert.equal(problems.map((p) => [p.code, p.revision]), [
    ['unknown-parent', 'b'],
    ['duplicate-parent', 'b'],
  ]);
  assert.match(problems[0].message, 'ghost');
  assert.equal(g.order, ['a', 'b'], 'the graph stays usable');
  assert.is(g.node('zz'), undefined);
});

test('a self-parent is reported and the revision and its descendants stay unordered', () => {
  const { graph: g, problems } = build({ a: [], s: ['s'], t: ['s'] });
  assert.equal(problems.map((p) => p.code), ['self-parent']);
  assert.equal(g.order, ['a']);
  assert.equal(g.unordered, ['s', 't']);
  assert.equal(g.roots, ['a']);
});

test('a 2-cycle is reported once, printed parent to child, and blocks only what follows it', () => {
  const { graph: g, problems } = build({ r: [], x: ['r', 'y'], y: ['x'], z: ['y'], ok: ['r'] });
  assert.equal(problems.length, 1);
  assert.is(problems[0].code, 'cycle');
  assert.is(problems[0].revision, 'x');
  assert.match(problems[0].message, 'x → y → x');
  assert.equal(g.order, ['r', 'ok']);
  assert.equal(g.unordered, ['x', 'y', 'z']);
  assert.equal(g.heads, ['ok']);
  assert.not.ok(g.isOrdered('z'));
});

test('a 3-cycle prints every member starting at the smallest id', () => {
  const { problems } = build({ c: ['b'], a: ['c'], b: ['a'] });
  assert.equal(problems.map((p) => p.message.match(/: (.*) \(/)?.[1]), ['a → b → c → a']);
});

test('two separate cycles give two problems', () => {
  const { problems } = build({ a: ['b'], b: ['a'], c: ['d'], d: ['e'], e: ['c'] });
  assert.equal(problems.map((p) => p.revision), ['a', 'c']);
  assert.ok(problems.every((p) => p.code === 'cycle' && p.hint?.includes('-- parent:')));
});

test('a repeated id keeps the first node and reports duplicate-id', () => {
  const { graph: g, problems } = Graph.build([
    { id: 'a', parents: [] },
    { id: 'b', parents: ['a'] },
    { id: 'b', parents: [] },
  ]);
  assert.equal(problems.map((p) => [p.code, p.revision]), [['duplicate-id', 'b']]);
  assert.equal(g.parents('b'), ['a']);
  assert.is(g.size, 2);
});

test('resolve accepts a full id, and an id that is a prefix of another id', () => {
  const g = graph({ ab: [], abc: ['ab'], b7: ['abc'] });
  assert.is(g.resolve('abc'), 'abc');
  assert.is(g.resolve('ab'), 'ab');
  assert.is(g.resolve('b'), 'b7');
});

test('resolve of an ambiguous prefix lists every candidate and asks for more characters', () => {
  const spec: Record<string, string[]> = { f0: [] };
  for (let i = 1; i <= 12; i++) spec[`f${i}`] = [`f${i - 1}`];
  const g = graph({ ...spec, g2: [], g10: [], g11: [] });
  const e = thrown(() => g.resolve('g1'));
  assert.is(e.code, 'ambiguous-revision');
  assert.is(e.exitCode, 2);
  assert.equal(e.candidates, ['g10', 'g11']);
  assert.match(e.hint ?? '', '`g10`');
  const all = thrown(() => g.resolve('f'));
  assert.is(all.candidates.length, 13, 'all candidates, not only the ten shown');
  assert.match(all.message, '13 in all');
  assert.match(all.hint ?? '', 'Type more of the id');
});

test('resolve of an unknown id suggests close matches', () => {
  const g = graph({ '3f2a9c1b7e20': [], '1b7e2044aa01': ['3f2a9c1b7e20'] });
  const typo = thrown(() => g.resolve('3f2a9d1b'));
  assert.is(typo.code, 'unknown-revision');
  assert.equal(typo.candidates, ['3f2a9c1b7e20']);
  assert.match(typo.hint ?? '', '`3f2a9c1b7e20`');
  const upper = thrown(() => g.resolve('1B7E'));
  assert.equal(upper.candidates, ['1b7e2044aa01']);
  const none = thrown(() => g.resolve('zzzz'));
  assert.equal(none.candidates, []);
  assert.match(none.hint ?? '', 'migrate history');
  assert.is(thrown(() => g.resolve('')).code, 'unknown-revision');
});

const pad = (i: number) => String(i).padStart(6, '0');

test('a 200,000-revision chain builds, orders and walks without recursion', () => {
  const n = 200_000;
  // Ids run against the chain (the root has the largest id) so order ≠ id order.
  const nodes = Array.from({ length: n }, (_, i) => ({ id: pad(n - i), parents: i ? [pad(n - i + 1)] : [] }));
  const { graph: g, problems } = Graph.build(nodes.reverse());
  assert.equal(problems, []);
  assert.is(g.order.length, n);
  assert.is(g.order[0], pad(n));
  assert.is(g.order[n - 1], pad(1));
  assert.equal(g.heads, [pad(1)]);
  assert.equal(g.roots, [pad(n)]);
  assert.is(g.ancestors([pad(1)]).size, n - 1);
  assert.is(g.descendants([pad(n)], true).size, n);
  assert.equal(g.sortTopo([pad(1), pad(n), pad(7)]), [pad(n), pad(7), pad(1)]);
  assert.is(g.resolve('000123'), '000123');
});

test('a 200,000-revision cycle is found without recursion', () => {
  const n = 200_000;
  const nodes = Array.from({ length: n }, (_, i) => ({ id: pad(i), parents: [pad((i + n - 1) % n)] }));
  const { graph: g, problems } = Graph.build(nodes);
  assert.equal(problems.map((p) => p.code), ['cycle']);
  assert.is(problems[0].revision, pad(0));
  assert.is(g.order.length, 0);
  assert.is(g.unordered.length, n);
});

test('100,000 separate 2-cycles are each reported', () => {
  const nodes = [];
  for (let i = 0; i < 100_000; i++) nodes.push({ id: `a${i}`, parents: [`b${i}`] }, { id: `b${i}`, parents: [`a${i}`] });
  const { problems } = Graph.build(nodes);
  assert.is(problems.length, 100_000);
  assert.ok(problems.every((p) => p.code === 'cycle'));
});

test('a wide graph of 500 branches merged at once has one head and full ancestry', () => {
  const nodes = [{ id: 'root', parents: [] as string[] }];
  const tips: string[] = [];
  for (let b = 0; b < 500; b++) {
    let prev = 'root';
    for (let k = 0; k < 200; k++) {
      const id = `b${b}x${k}`;
      nodes.push({ id, parents: [prev] });
      prev = id;
    }
    tips.push(prev);
  }
  nodes.push({ id: 'merge', parents: tips });
  const { graph: g, problems } = Graph.build(nodes);
  assert.equal(problems, []);
  assert.is(g.size, 100_002);
  assert.equal(g.heads, ['merge']);
  assert.is(g.order[g.order.length - 1], 'merge');
  assert.is(g.ancestors(['merge']).size, 100_001);
  assert.is(g.children('root').length, 500);
  assert.is(g.descendants(['b7x100']).size, 100);
});

test.run();
