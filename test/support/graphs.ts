/** Graphs written as `{ b: ['a'] }` and the errors they throw, for the pure-module tests. */
import * as assert from 'uvu/assert';
import { SqlrevError } from '../../src/errors.js';
import { Graph } from '../../src/graph.js';

/** `{ b: ['a'] }` → Graph.build's result; ids listed only as parents are not added. */
export function build(spec: Record<string, string[]>) {
  return Graph.build(Object.entries(spec).map(([id, parents]) => ({ id, parents })));
}

/** The graph of `spec`, whatever problems it has. */
export function graph(spec: Record<string, string[]>): Graph {
  return build(spec).graph;
}

/** Runs `fn`, expects a SqlrevError, returns it. */
export function thrown(fn: () => unknown): SqlrevError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, SqlrevError);
    return e as SqlrevError;
  }
  throw new assert.Assertion({ message: 'expected a SqlrevError', generated: false, operator: 'throws', expects: 'throw', actual: 'none' });
}
