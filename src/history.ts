/**
 * `migrate history`: the revisions in topological order (parents first), and
 * a lane drawing of branches and merges in the manner of `git log --graph`.
 * Pure: a graph in, rows of text out.
 */
import type { Graph } from './graph.js';

export interface HistoryEntry {
  id: string;
  parents: readonly string[];
  children: readonly string[];
  head: boolean;
  /** In a cycle, or after one: it has no place in the order (the graph's problems say why). */
  unordered?: true;
}

/**
 * Every revision in topological order (or newest first with `reverse`), then
 * those in or after a cycle, by id: listed, so that none is missing, though
 * they have no place in the order.
 */
export function historyEntries(graph: Graph, reverse = false): HistoryEntry[] {
  const heads = new Set(graph.heads);
  const ids = reverse ? [...graph.order].reverse() : graph.order;
  const entries: HistoryEntry[] = ids.map((id) => ({ id, parents: graph.parents(id), children: graph.children(id), head: heads.has(id) }));
  for (const id of graph.unordered) entries.push({ id, parents: graph.parents(id), children: graph.children(id), head: heads.has(id), unordered: true });
  return entries;
}

/**
 * Lane drawings for each entry: connector rows to print before it, and the
 * prefix of its own row. Lanes stay where they are (no sideways shifting),
 * so every edge is a vertical line except where a branch opens (`|\`) or
 * joins (`|/`); a lane further away connects with a horizontal run (`|-.`,
 * `|-'`). Linear in the number of entries times the width.
 *
 * Oldest first, a revision's lane continues into its children; newest first
 * (`reverse`), into its parents.
 */
export function drawLanes(entries: readonly HistoryEntry[], reverse = false): { before: string[]; node: string }[] {
  // Revisions in or after a cycle are drawn alone: an edge to one of them would never close.
  const placed = new Set(entries.filter((e) => !e.unordered).map((e) => e.id));
  const lanes: (string | null)[] = [];
  const out: { before: string[]; node: string }[] = [];
  let pending: string[] = [];
  // Lanes whose revision ended on the previous row: a new root drawn right
  // below one would look like its child, so roots avoid them.
  let justEnded = new Set<number>();
  for (const entry of entries) {
    const before = pending;
    pending = [];
    const waiting: number[] = [];
    lanes.forEach((want, i) => { if (want === entry.id) waiting.push(i); });
    let col: number;
    if (waiting.length === 0) {
      col = lanes.findIndex((want, i) => want === null && !justEnded.has(i));
      if (col === -1) {
        // Past the last lane; not in one that ended just above (trailing empty lanes are dropped).
        col = lanes.length;
        while (justEnded.has(col)) col++;
        while (lanes.length <= col) lanes.push(null);
      }
    } else {
      col = waiting[0];
      const joining = waiting.slice(1);
      if (joining.length) before.push(connectorRow(lanes, col, joining, '/', "'"));
      for (const i of joining) lanes[i] = null;
    }
    const node = lanes.map((want, i) => (i === col ? '*' : want === null ? ' ' : '|')).join(' ').trimEnd();
    const edges = reverse ? entry.parents : entry.children;
    const [first, ...rest] = entry.unordered ? [] : placed.size === entries.length ? edges : edges.filter((id) => placed.has(id));
    lanes[col] = first ?? null;
    justEnded = first === undefined ? new Set([col]) : new Set();
    const opened: number[] = [];
    for (const id of rest) {
      let slot = lanes.indexOf(null, col + 1);
      if (slot === -1) { slot = lanes.length; lanes.push(null); }
      lanes[slot] = id;
      opened.push(slot);
    }
    if (opened.length) pending.push(connectorRow(lanes, col, opened, '\\', '.'));
    while (lanes.length && lanes[lanes.length - 1] === null) lanes.pop();
    out.push({ before, node });
  }
  return out;
}

/**
 * A row linking lane `col` with lanes `ends` to its right: the adjacent lane
 * by `near` in the gap (`|/`, `|\`), farther ones by a horizontal run ending
 * in `far`. Lanes passed over keep their `|`.
 */
function connectorRow(lanes: readonly (string | null)[], col: number, ends: readonly number[], near: string, far: string): string {
  const last = Math.max(...ends);
  const endSet = new Set(ends);
  const chars = new Array<string>(2 * Math.max(lanes.length, last + 1) - 1).fill(' ');
  lanes.forEach((want, i) => { if (want !== null && !endSet.has(i)) chars[2 * i] = '|'; });
  chars[2 * col] = '|';
  for (let p = 2 * col + 1; p < 2 * last; p++) if (chars[p] === ' ') chars[p] = '-';
  if (endSet.has(col + 1)) chars[2 * col + 1] = near;
  for (const e of ends) if (e > col + 1) chars[2 * e] = far;
  return chars.join('').trimEnd();
}
