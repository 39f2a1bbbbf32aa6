/**
 * Target expressions (DESIGN.md §3): parsing, and resolution against a graph
 * and an applied set. Pure: no I/O. Every failure is a usage error (exit 2)
 * that lists the candidates and says what to type next.
 */
import { usageError } from './errors.js';
import type { Graph } from './graph.js';
import { isToken } from './pairs.js';

export type Direction = 'up' | 'down';

export type TargetExpr =
  | { kind: 'head'; text: string }
  | { kind: 'heads'; text: string }
  | { kind: 'base'; text: string }
  /** A full id or a unique prefix. */
  | { kind: 'rev'; text: string; ref: string }
  /** `+N` (steps > 0, up only) or `-N` (steps < 0, down only), from the current state. */
  | { kind: 'step'; text: string; steps: number }
  /** `<ref>+N` / `<ref>-N`: walk the only child / parent. `ref` may also be `head` or `base`. */
  | { kind: 'walk'; text: string; ref: string; steps: number };

/** Up: these revisions (each with its ancestors) must be applied afterwards. */
export interface UpGoal {
  ids: string[];
}

/** Down: what to revert. */
export type DownGoal =
  /** Revert every applied descendant of `ids`; they themselves stay. */
  | { kind: 'keep'; ids: string[] }
  /** Revert everything applied. */
  | { kind: 'base' }
  /** Revert exactly these (from `-N`; already closed: nothing applied depends on them). */
  | { kind: 'revert'; ids: string[] };

const FORMS = '`head`, `heads`, `base`, a revision id or unique prefix, `+N`, `-N`, `<id>+N` or `<id>-N` (N ≥ 1)';
const RELATIVE = /^([0-9A-Za-z]*)([+-])([0-9]+)$/;

export function parseTarget(input: string): TargetExpr {
  const text = input.trim();
  if (text === 'head' || text === 'heads' || text === 'base') return { kind: text, text };
  if (isToken(text)) return { kind: 'rev', text, ref: text };
  const m = RELATIVE.exec(text);
  if (!m) {
    throw usageError('invalid-target', `invalid target ${JSON.stringify(input)}: expected ${FORMS}`, {
      hint: 'Type e.g. `head`, `+1`, `-1` or a revision id (`migrate history` lists them).',
    });
  }
  const [, ref, sign, digits] = m;
  const n = Number(digits);
  if (n === 0 || !Number.isSafeInteger(n)) {
    throw usageError('invalid-target', `invalid target ${JSON.stringify(text)}: the step count must be a whole number ≥ 1`, {
      hint: `Type e.g. \`${ref}${sign}1\`.`,
    });
  }
  const steps = sign === '+' ? n : -n;
  if (ref === 'heads') {
    throw usageError('invalid-target', `invalid target ${JSON.stringify(text)}: cannot step from several heads`, {
      hint: `Name one revision instead, e.g. \`<id>${sign}${n}\` (\`migrate status\` lists the heads).`,
    });
  }
  return ref === '' ? { kind: 'step', text, steps } : { kind: 'walk', text, ref, steps };
}

/**
 * The revisions that must be applied after `up expr`. `head` on a graph
 * without revisions means nothing to do: a fresh project is not an error.
 */
export function resolveUpTarget(graph: Graph, applied: ReadonlySet<string>, expr: TargetExpr): UpGoal {
  switch (expr.kind) {
    case 'head': {
      const h = singleHead(graph, 'up');
      return { ids: h === null ? [] : [h] };
    }
    case 'heads':
      return { ids: [...graph.heads] };
    case 'base':
      return { ids: [] };
    case 'rev':
      return { ids: [graph.resolve(expr.ref)] };
    case 'walk': {
      const id = walk(graph, expr, 'up');
      return { ids: id === null ? [] : [id] };
    }
    case 'step':
      if (expr.steps < 0) {
        throw usageError('down-only-target', `\`${expr.text}\` counts back from the current state and only works with down`, {
          candidates: [],
          hint: `To revert ${-expr.steps} revision(s), type \`migrate down ${expr.text}\`.`,
        });
      }
      return { ids: nextSteps(graph, applied, expr.steps, expr.text) };
  }
}

/** What `down expr` reverts. Any named revision must be applied (it stays). */
export function resolveDownTarget(graph: Graph, applied: ReadonlySet<string>, expr: TargetExpr): DownGoal {
  switch (expr.kind) {
    case 'base':
      return { kind: 'base' };
    case 'head': {
      const h = singleHead(graph, 'down');
      return h === null ? { kind: 'base' } : keep(graph, applied, [h]);
    }
    case 'heads':
      return keep(graph, applied, [...graph.heads]);
    case 'rev':
      return keep(graph, applied, [graph.resolve(expr.ref)]);
    case 'walk': {
      const id = walk(graph, expr, 'down');
      return id === null ? { kind: 'base' } : keep(graph, applied, [id]);
    }
    case 'step':
      if (expr.steps > 0) {
        throw usageError('up-only-target', `\`${expr.text}\` counts forward from the current state and only works with up`, {
          candidates: [],
          hint: `To apply ${expr.steps} revision(s), type \`migrate up ${expr.text}\`; to revert, \`migrate down -${expr.steps}\`.`,
        });
      }
      return { kind: 'revert', ids: previousSteps(graph, applied, -expr.steps, expr.text) };
  }
}

/** Applied revisions that no applied revision depends on, in graph order. */
export function currentHeads(graph: Graph, applied: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const id of applied) {
    if (graph.has(id) && !graph.children(id).some((c) => applied.has(c))) out.push(id);
  }
  return graph.sortTopo(out);
}

function keep(graph: Graph, applied: ReadonlySet<string>, ids: string[]): DownGoal {
  for (const id of ids) {
    if (!applied.has(id)) {
      throw usageError('not-applied', `${id} is not applied, so down cannot return to it`, {
        revision: id,
        candidates: currentHeads(graph, applied),
        hint: `Type \`migrate up ${id}\` to apply it, or name an applied revision (\`migrate status\` shows them).`,
      });
    }
  }
  return { kind: 'keep', ids };
}

/** The single head, or null when there are no revisions at all. */
function singleHead(graph: Graph, verb: Direction): string | null {
  const heads = graph.heads;
  if (heads.length === 1) return heads[0];
  if (heads.length === 0) {
    if (graph.size === 0) return null;
    throw usageError('no-head', 'no revision can be ordered: the parents form a cycle', {
      candidates: [],
      hint: 'Run `migrate verify` to see the cycle.',
    });
  }
  throw usageError('multiple-heads', `there are ${heads.length} heads: ${heads.join(', ')}`, {
    candidates: [...heads],
    hint:
      verb === 'up'
        ? `Type \`migrate up heads\` to apply every branch, \`migrate up <id>\` with one of ${heads.join(', ')}, or \`migrate merge\` to join them.`
        : `Type \`migrate down <id>\` with one of ${heads.join(', ')}, or \`migrate merge\` to join them.`,
  });
}

/** Follows the only child (steps > 0) or only parent (steps < 0); null is base. */
function walk(graph: Graph, expr: { text: string; ref: string; steps: number }, verb: Direction): string | null {
  let cur: string | null = expr.ref === 'base' ? null : expr.ref === 'head' ? singleHead(graph, verb) : graph.resolve(expr.ref);
  const n = Math.abs(expr.steps);
  for (let k = 1; k <= n; k++) {
    const left = n - k;
    const from = cur ?? 'base';
    if (expr.steps > 0) {
      const next: readonly string[] = cur === null ? graph.roots : graph.children(cur);
      if (next.length === 0) {
        const reached = k - 1;
        throw usageError('beyond-head', `\`${expr.text}\` goes past a head: ${from} has no child, ${reached} step(s) after ${expr.ref}`, {
          candidates: cur === null ? [] : [cur],
          hint:
            cur === null
              ? 'There are no revisions yet; `migrate new` creates one.'
              : reached
                ? `Type \`migrate ${verb} ${expr.ref}+${reached}\` to stop at ${from}.`
                : `${from} is already a head; type \`migrate ${verb} ${from}\`.`,
        });
      }
      if (next.length > 1) throw ambiguousWalk('ambiguous-child', expr.text, from, next, verb, left ? `+${left}` : '', 'children');
      cur = next[0];
    } else {
      if (cur === null) {
        throw usageError('beyond-base', `\`${expr.text}\` goes past base: ${expr.ref} has only ${k - 1} step(s) before it`, {
          candidates: [],
          hint: `Type \`migrate ${verb} base\` for nothing applied.`,
        });
      }
      const prev = graph.parents(cur);
      if (prev.length > 1) {
        throw ambiguousWalk('ambiguous-parent', expr.text, from, graph.sortTopo(prev), verb, left ? `-${left}` : '', 'parents');
      }
      cur = prev.length ? prev[0] : null; // a root's parent is base
    }
  }
  return cur;
}

function ambiguousWalk(code: string, text: string, from: string, options: readonly string[], verb: Direction, rest: string, what: string) {
  return usageError(code, `\`${text}\` is ambiguous: ${from} has ${options.length} ${what}: ${options.join(', ')}`, {
    candidates: [...options],
    hint: `Choose the branch: ${suggest(verb, options, rest)}.`,
  });
}

/** "`migrate up a+2` or `migrate up b+2`", capped so the hint stays one line. */
function suggest(verb: Direction, ids: readonly string[], suffix = ''): string {
  const shown = ids.slice(0, 4).map((id) => `\`migrate ${verb} ${id}${suffix}\``);
  return shown.join(' or ') + (ids.length > 4 ? ` (or another of the ${ids.length})` : '');
}

/** Simulates `+n`: each step exactly one unapplied revision may have all its parents applied. */
function nextSteps(graph: Graph, applied: ReadonlySet<string>, n: number, text: string): string[] {
  const missing = new Map<string, number>();
  const ready = new Set<string>();
  for (const id of graph.order) {
    if (applied.has(id)) continue;
    const count = graph.parents(id).filter((p) => !applied.has(p)).length;
    missing.set(id, count);
    if (count === 0) ready.add(id);
  }
  const taken: string[] = [];
  for (let k = 1; k <= n; k++) {
    if (ready.size === 0) {
      const pending = taken.length;
      throw usageError('beyond-pending', `\`${text}\` goes beyond what is pending: ${pending ? `only ${pending} revision(s) are pending: ${taken.join(', ')}` : 'nothing is pending'}`, {
        candidates: taken,
        hint: pending
          ? `Type \`migrate up +${pending}\` or \`migrate up heads\` to apply everything pending.`
          : 'Everything is applied; `migrate status` shows the state.',
      });
    }
    if (ready.size > 1) {
      const options = graph.sortTopo(ready);
      const after = taken.length ? ` after ${taken.length} step(s)` : '';
      throw usageError('ambiguous-next', `\`${text}\` is ambiguous${after}: ${options.length} revisions could come next: ${options.join(', ')}`, {
        candidates: options,
        hint: `Name one: ${suggest('up', options)}; or type \`migrate up heads\` to apply every branch.`,
      });
    }
    const [id] = ready;
    ready.delete(id);
    taken.push(id);
    for (const c of graph.children(id)) {
      const left = missing.get(c);
      if (left === undefined) continue;
      missing.set(c, left - 1);
      if (left === 1) ready.add(c);
    }
  }
  return taken;
}

/** Simulates `-n`: each step exactly one applied revision may have no applied child. */
function previousSteps(graph: Graph, applied: ReadonlySet<string>, n: number, text: string): string[] {
  const appliedChildren = new Map<string, number>();
  const current = new Set<string>();
  for (const id of applied) {
    if (!graph.has(id)) continue;
    const count = graph.children(id).filter((c) => applied.has(c)).length;
    appliedChildren.set(id, count);
    if (count === 0) current.add(id);
  }
  const reverted: string[] = [];
  for (let k = 1; k <= n; k++) {
    if (current.size === 0) {
      const count = reverted.length;
      throw usageError('beyond-applied', `\`${text}\` goes beyond base: ${count ? `only ${count} revision(s) are applied` : 'nothing is applied'}`, {
        candidates: reverted,
        hint: count ? `Type \`migrate down -${count}\` or \`migrate down base\` to revert everything.` : 'Nothing to revert; `migrate status` shows the state.',
      });
    }
    if (current.size > 1) {
      const options = graph.sortTopo(current);
      const after = reverted.length ? ` after ${reverted.length} step(s)` : '';
      throw usageError('ambiguous-current', `\`${text}\` is ambiguous${after}: ${options.length} applied revisions are current: ${options.join(', ')}`, {
        candidates: options,
        hint: `Name the revision to return to: \`migrate down <id>\` reverts everything applied after <id> (current: ${options.join(', ')}).`,
      });
    }
    const [id] = current;
    current.delete(id);
    reverted.push(id);
    for (const p of graph.parents(id)) {
      const left = appliedChildren.get(p);
      if (left === undefined) continue;
      appliedChildren.set(p, left - 1);
      if (left === 1) current.add(p);
    }
  }
  return reverted;
}
