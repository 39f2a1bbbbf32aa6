/**
 * Graph + applied set + target → the revisions to run, in order. Pure: no I/O.
 * The graph is built by the caller from the files and the recorded revisions,
 * so revisions whose files are gone are planned like any other.
 */
import { verifyError, type Problem } from './errors.js';
import type { Graph } from './graph.js';
import { parseTarget, resolveDownTarget, resolveUpTarget, type TargetExpr } from './target.js';

export interface Plan {
  direction: 'up' | 'down';
  /** Revision ids in execution order: parents first for up, children first for down. */
  steps: string[];
}

/** Every unapplied revision among the target and its ancestors, in global order. */
export function planUp(graph: Graph, applied: ReadonlySet<string>, target: string | TargetExpr): Plan {
  const expr = typeof target === 'string' ? parseTarget(target) : target;
  const { ids } = resolveUpTarget(graph, applied, expr);
  const wanted = [...graph.ancestors(ids, true)].filter((id) => !applied.has(id));
  return { direction: 'up', steps: ordered(graph, graph.sortTopo(wanted)) };
}

/** The applied revisions the target says to revert, children first. */
export function planDown(graph: Graph, applied: ReadonlySet<string>, target: string | TargetExpr): Plan {
  const expr = typeof target === 'string' ? parseTarget(target) : target;
  const goal = resolveDownTarget(graph, applied, expr);
  let revert: Iterable<string>;
  if (goal.kind === 'base') revert = applied;
  else if (goal.kind === 'revert') revert = goal.ids;
  else revert = [...graph.descendants(goal.ids)].filter((id) => applied.has(id));
  return { direction: 'down', steps: ordered(graph, graph.sortTopo(revert)).reverse() };
}

/**
 * Problems with a recorded applied set: ids the graph does not know, and
 * applied revisions whose parent is not applied (the set must be closed
 * under ancestors). Reported in graph order.
 */
export function checkApplied(graph: Graph, applied: Iterable<string>): Problem[] {
  const set = new Set(applied);
  const problems: Problem[] = [];
  for (const id of [...set].filter((x) => !graph.has(x)).sort()) {
    problems.push({
      revision: id,
      code: 'applied-unknown',
      message: `revision ${id} is recorded as applied but is neither in the files nor in the recorded revisions`,
      hint: '`migrate status` shows the recorded state; restore the revision\'s files or its recorded row.',
    });
  }
  for (const id of graph.sortTopo(set)) {
    for (const parent of graph.parents(id)) {
      if (set.has(parent)) continue;
      problems.push({
        revision: id,
        code: 'applied-not-closed',
        message: `revision ${id} is applied but its parent ${parent} is not`,
        hint: `Check whether ${parent}'s changes are in the database; if so, record them with \`migrate stamp ${id}\`.`,
      });
    }
  }
  return problems;
}

/** Refuses to plan revisions that have no place in the order (on or after a cycle). */
function ordered(graph: Graph, steps: string[]): string[] {
  const stuck = steps.filter((id) => !graph.isOrdered(id));
  if (stuck.length) {
    throw verifyError('cycle', `cannot order ${stuck.join(', ')}: they lie on or after a cycle of parents`, {
      candidates: stuck,
      hint: 'Run `migrate verify` to see the cycle and fix the `-- parent:` headers.',
    });
  }
  return steps;
}
