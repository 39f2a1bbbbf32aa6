/**
 * Properties of graphs and plans on a few hundred random DAGs. Each graph
 * comes from its own seed; failure messages start with `seed N` so a failing
 * case can be rebuilt with `randomCase(N)`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph } from '../src/graph.js';
import { SqlrevError } from '../src/errors.js';
import { checkApplied, planDown, planUp, type Plan } from '../src/plan.js';
import type { GraphNode } from '../src/types.js';
import { mulberry32 } from './support/random.js';

const GRAPHS = 300;
const CASES_PER_GRAPH = 6;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

interface Case {
  nodes: GraphNode[];
  graph: Graph;
  rand: () => number;
}

/** 1–40 revisions with random short ids; each picks 0–3 parents among earlier ones. */
function randomCase(seed: number): Case {
  const rand = mulberry32(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const n = 1 + int(40);
  const ids = new Set<string>();
  while (ids.size < n) {
    let id = '';
    for (let len = 1 + int(3); len > 0; len--) id += ALPHABET[int(ALPHABET.length)];
    ids.add(id);
  }
  const created = [...ids];
  const nodes: GraphNode[] = created.map((id, k) => {
    if (k === 0 || rand() < 0.15) return { id, parents: [] };
    const want = rand() < 0.7 ? 1 : rand() < 0.6 ? 2 : 3;
    const parents = new Set<string>();
    for (let tries = 0; tries < 6 && parents.size < want; tries++) parents.add(created[int(k)]);
    return { id, parents: [...parents] };
  });
  const shuffled = shuffle(nodes, rand);
  const { graph, problems } = Graph.build(shuffled);
  assert.equal(problems, [], `seed ${seed}: generated graph should be valid`);
  return { nodes, graph, rand };
}

function shuffle<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Empty, everything, or the ancestor closure of a few random picks. */
function randomApplied({ graph, rand }: Case): Set<string> {
  const r = rand();
  if (r < 0.15) return new Set();
  if (r < 0.3) return new Set(graph.order);
  const picks = graph.order.filter(() => rand() < 0.15);
  return graph.ancestors(picks, true);
}

function randomTarget({ graph, rand }: Case): string {
  const id = graph.order[Math.floor(rand() * graph.order.length)];
  const k = 1 + Math.floor(rand() * 4);
  const forms = ['head', 'heads', 'base', id, id.slice(0, 1), `+${k}`, `-${k}`, `${id}+${k}`, `${id}-${k}`];
  return forms[Math.floor(rand() * forms.length)];
}

/** Runs a plan; a refusal must be a usage error (exit 2), reported as null. */
function attempt(seed: number, fn: () => Plan): Plan | null {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof SqlrevError && e.exitCode === 2, `seed ${seed}: unexpected failure ${String(e)}`);
    return null;
  }
}

/** Parents-first reference Kahn: O(n²) scans, smallest ready id each time. */
function referenceOrder(nodes: readonly GraphNode[]): string[] {
  const placed = new Set<string>();
  const out: string[] = [];
  while (out.length < nodes.length) {
    const ready = nodes.filter((n) => !placed.has(n.id) && n.parents.every((p) => placed.has(p))).map((n) => n.id);
    if (ready.length === 0) break;
    const next = ready.reduce((a, b) => (b < a ? b : a));
    placed.add(next);
    out.push(next);
  }
  return out;
}

const isClosed = (g: Graph, set: ReadonlySet<string>) => checkApplied(g, set).length === 0;

test('order is a valid topological order equal to a brute-force Kahn', () => {
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const { nodes, graph } = randomCase(seed);
    assert.is(new Set(graph.order).size, nodes.length, `seed ${seed}: every id once`);
    const pos = new Map(graph.order.map((id, i) => [id, i]));
    for (const n of nodes) for (const p of n.parents) assert.ok(pos.get(p)! < pos.get(n.id)!, `seed ${seed}: ${p} before ${n.id}`);
    assert.equal(graph.order, referenceOrder(nodes), `seed ${seed}: order matches the reference`);
  }
});

test('up plans add only unapplied revisions, parents first, and leave the set closed', () => {
  let planned = 0;
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const c = randomCase(seed);
    for (let k = 0; k < CASES_PER_GRAPH; k++) {
      const applied = randomApplied(c);
      const target = randomTarget(c);
      const plan = attempt(seed, () => planUp(c.graph, applied, target));
      if (!plan) continue;
      planned++;
      const at = `seed ${seed}: up ${target}`;
      assert.is(new Set(plan.steps).size, plan.steps.length, `${at}: no repeats`);
      assert.ok(plan.steps.every((s) => !applied.has(s)), `${at}: only unapplied revisions`);
      const after = new Set([...applied, ...plan.steps]);
      assert.ok(isClosed(c.graph, after), `${at}: result closed under ancestors`);
      const index = new Map(plan.steps.map((s, i) => [s, i]));
      for (const s of plan.steps) {
        for (const p of c.graph.parents(s)) assert.ok(applied.has(p) || index.get(p)! < index.get(s)!, `${at}: ${p} before ${s}`);
      }
      if (/^\+\d+$/.test(target)) assert.is(plan.steps.length, Number(target), `${at}: exactly N steps`);
      const again = planUp(c.graph, new Set(shuffle([...applied], c.rand)), target);
      assert.equal(again, plan, `${at}: deterministic`);
    }
  }
  assert.ok(planned > GRAPHS, `enough successful up plans to mean something (${planned})`);
});

test('down plans remove only applied revisions, children first, and leave the set closed', () => {
  let planned = 0;
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const c = randomCase(seed);
    for (let k = 0; k < CASES_PER_GRAPH; k++) {
      const applied = randomApplied(c);
      const target = randomTarget(c);
      const plan = attempt(seed, () => planDown(c.graph, applied, target));
      if (!plan) continue;
      planned++;
      const at = `seed ${seed}: down ${target}`;
      assert.is(new Set(plan.steps).size, plan.steps.length, `${at}: no repeats`);
      assert.ok(plan.steps.every((s) => applied.has(s)), `${at}: only applied revisions`);
      const after = new Set([...applied].filter((id) => !plan.steps.includes(id)));
      assert.ok(isClosed(c.graph, after), `${at}: result closed under ancestors`);
      const index = new Map(plan.steps.map((s, i) => [s, i]));
      for (const s of plan.steps) {
        for (const ch of c.graph.children(s)) {
          if (applied.has(ch)) assert.ok(index.get(ch)! < index.get(s)!, `${at}: ${ch} reverted before ${s}`);
        }
      }
      if (/^-\d+$/.test(target)) assert.is(plan.steps.length, -Number(target), `${at}: exactly N steps`);
      if (c.graph.has(target)) {
        assert.ok(after.has(target), `${at}: the target stays applied`);
        assert.ok([...c.graph.descendants([target])].every((d) => !after.has(d)), `${at}: nothing after it stays`);
      }
      if (target === 'base') assert.is(after.size, 0, `${at}: nothing left`);
      assert.equal(planDown(c.graph, new Set(shuffle([...applied], c.rand)), target), plan, `${at}: deterministic`);
    }
  }
  assert.ok(planned > GRAPHS, `enough successful down plans to mean something (${planned})`);
});

test('up T then down base returns to nothing applied', () => {
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const c = randomCase(seed);
    const id = c.graph.order[Math.floor(c.rand() * c.graph.order.length)];
    const applied = new Set(planUp(c.graph, new Set(), id).steps);
    assert.ok(applied.has(id), `seed ${seed}: up ${id} applies ${id}`);
    const back = planDown(c.graph, applied, 'base').steps;
    assert.equal([...back].sort(), [...applied].sort(), `seed ${seed}: down base reverts exactly what up applied`);
    assert.equal(back, c.graph.sortTopo(applied).reverse(), `seed ${seed}: in reverse order`);
  }
});

test('up heads applies everything from any closed applied set', () => {
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const c = randomCase(seed);
    const applied = randomApplied(c);
    const steps = planUp(c.graph, applied, 'heads').steps;
    assert.is(applied.size + steps.length, c.graph.size, `seed ${seed}: every revision applied`);
    assert.equal(steps, c.graph.order.filter((id) => !applied.has(id)), `seed ${seed}: in global order`);
  }
});

test('ancestors and descendants agree with each other', () => {
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const { graph } = randomCase(seed);
    for (const a of graph.order) {
      for (const d of graph.descendants([a])) assert.ok(graph.ancestors([d]).has(a), `seed ${seed}: ${a} is an ancestor of ${d}`);
    }
  }
});

test.run();
