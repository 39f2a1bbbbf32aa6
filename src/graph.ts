/**
 * The revision DAG (DESIGN.md §2). Pure: no I/O.
 *
 * Every index (children, order, heads, roots, positions) is built once in
 * `build`, in time linear in nodes + edges (plus one sort of the ids). Walks
 * are iterative, because real graphs have 100,000+ revisions in long chains.
 * Internally a revision is its rank in the sorted id list, so "smallest id
 * first" is a comparison of integers, and its parents and children are
 * ranges of flat integer arrays (Edges), not an array per revision.
 */
import { findCycles } from './cycles.js';
import { Edges } from './edges.js';
import { usageError, type Problem } from './errors.js';
import type { GraphNode } from './types.js';

export class Graph {
  readonly size: number;
  /** Every orderable id in topological order (parents first, ties by smallest id). */
  readonly order: readonly string[];
  /** Ordered revisions without children, in `order` order. */
  readonly heads: readonly string[];
  /** Ordered revisions without parents, in `order` order. */
  readonly roots: readonly string[];
  /**
   * Revisions on or downstream of a cycle (or of a self-parent): they have
   * no place in `order`. Sorted by id; empty in a healthy graph.
   */
  readonly unordered: readonly string[];

  private constructor(
    private readonly ids: readonly string[],
    private readonly rank: ReadonlyMap<string, number>,
    private readonly nodes: readonly GraphNode[],
    /** Known, distinct, non-self parents, as listed. */
    private readonly up: Edges,
    /** Children, sorted by id. */
    private readonly down: Edges,
    /** Index in `order`, or -1 for an unordered revision. */
    private readonly pos: Int32Array,
    orderIdx: readonly number[],
  ) {
    this.size = ids.length;
    this.order = orderIdx.map((i) => ids[i]);
    this.heads = orderIdx.filter((i) => down.count(i) === 0).map((i) => ids[i]);
    this.roots = orderIdx.filter((i) => up.count(i) === 0).map((i) => ids[i]);
    const unordered: string[] = [];
    for (let i = 0; i < ids.length; i++) if (pos[i] < 0) unordered.push(ids[i]);
    this.unordered = unordered;
  }

  /**
   * Builds the graph and reports what is wrong with the data instead of
   * throwing. Edges kept in `parents()` are the known, distinct, non-self
   * parents; `node(id).parents` still holds what the caller gave.
   */
  static build(input: Iterable<GraphNode>): { graph: Graph; problems: Problem[] } {
    const problems: Problem[] = [];
    // One map, first from id to its place in `unique`, then to its rank.
    const rank = new Map<string, number>();
    const unique: GraphNode[] = [];
    for (const node of input) {
      if (rank.has(node.id)) {
        problems.push({
          revision: node.id,
          code: 'duplicate-id',
          message: `revision id ${node.id} is defined more than once; the first definition is used`,
          hint: `Give one of them a new id (\`migrate new\` generates unique ids).`,
        });
      } else {
        rank.set(node.id, unique.length);
        unique.push(node);
      }
    }
    const n = unique.length;
    const ids = unique.map((node) => node.id).sort(); // UTF-16 order = code point order for ASCII ids
    const nodes: GraphNode[] = new Array(n);
    for (let i = 0; i < n; i++) {
      nodes[i] = unique[rank.get(ids[i])!];
      rank.set(ids[i], i);
    }
    const upStart = new Int32Array(n + 1);
    const upList: number[] = [];
    const childCount = new Int32Array(n);
    // A self-parent is a one-revision cycle: it and its descendants stay unordered.
    const selfParent = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      const given = nodes[i].parents;
      const seen = given.length > 1 ? new Set<string>() : null; // most revisions have one parent
      for (const p of given) {
        if (seen?.has(p)) {
          problems.push({
            revision: id,
            code: 'duplicate-parent',
            message: `revision ${id} lists parent ${p} more than once`,
            hint: `Remove the repeated ${p} from its \`-- parent:\` header.`,
          });
          continue;
        }
        seen?.add(p);
        const r = rank.get(p);
        if (p === id) {
          selfParent[i] = 1;
          problems.push({
            revision: id,
            code: 'self-parent',
            message: `revision ${id} lists itself as its parent`,
            hint: `Set its \`-- parent:\` header to the revision it follows, or to base.`,
          });
        } else if (r === undefined) {
          problems.push({
            revision: id,
            code: 'unknown-parent',
            message: `revision ${id} has parent ${p}, which is not a known revision`,
            hint: `Fix the \`-- parent:\` header of ${id} (\`migrate history\` lists the revisions), or use base for a root.`,
          });
        } else {
          upList.push(r);
          childCount[r]++;
        }
      }
      upStart[i + 1] = upList.length;
    }
    const up = new Edges(upStart, Int32Array.from(upList));
    const downStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) downStart[i + 1] = downStart[i] + childCount[i];
    const downList = new Int32Array(downStart[n]);
    const filled = downStart.slice(0, n);
    // Visiting children in rank order leaves every revision's children sorted by id.
    for (let i = 0; i < n; i++) for (let k = upStart[i]; k < upStart[i + 1]; k++) downList[filled[upList[k]]++] = i;
    const down = new Edges(downStart, downList);

    const pos = new Int32Array(n).fill(-1);
    const orderIdx = kahn(up, down, selfParent, pos);
    if (orderIdx.length < n) for (const p of findCycles(ids, down, pos)) problems.push(p);
    return { graph: new Graph(ids, rank, nodes, up, down, pos, orderIdx), problems };
  }

  has(id: string): boolean {
    return this.rank.has(id);
  }

  node(id: string): GraphNode | undefined {
    const i = this.rank.get(id);
    return i === undefined ? undefined : this.nodes[i];
  }

  /** Known parents of `id` (as listed, without duplicates or self); [] for an unknown id. */
  parents(id: string): readonly string[] {
    const i = this.rank.get(id);
    return i === undefined ? [] : this.idsOf(this.up, i);
  }

  /** Children of `id`, sorted by id; [] for an unknown id. */
  children(id: string): readonly string[] {
    const i = this.rank.get(id);
    return i === undefined ? [] : this.idsOf(this.down, i);
  }

  /** Ancestors of the given revisions (one BFS over all of them); unknown ids are ignored. */
  ancestors(ids: Iterable<string>, inclusive = false): Set<string> {
    return this.reach(ids, this.up, inclusive);
  }

  /** Descendants of the given revisions (one BFS over all of them); unknown ids are ignored. */
  descendants(ids: Iterable<string>, inclusive = false): Set<string> {
    return this.reach(ids, this.down, inclusive);
  }

  /**
   * The given ids in global topological order, without duplicates. Unknown
   * ids are dropped; unordered ones (cycles) come last, by id.
   */
  sortTopo(ids: Iterable<string>): string[] {
    const ordered: number[] = [];
    const unordered: number[] = [];
    const seen = new Set<number>();
    for (const id of ids) {
      const i = this.rank.get(id);
      if (i === undefined || seen.has(i)) continue;
      seen.add(i);
      (this.pos[i] < 0 ? unordered : ordered).push(i);
    }
    ordered.sort((a, b) => this.pos[a] - this.pos[b]);
    unordered.sort((a, b) => a - b);
    return [...ordered, ...unordered].map((i) => this.ids[i]);
  }

  /** True when `id` has a place in `order` (not on or after a cycle). */
  isOrdered(id: string): boolean {
    const i = this.rank.get(id);
    return i !== undefined && this.pos[i] >= 0;
  }

  /** A full id, or a prefix of exactly one id, to that id. */
  resolve(ref: string): string {
    if (this.rank.has(ref)) return ref;
    const matches = ref === '' ? [] : this.withPrefix(ref);
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      const shown = matches.slice(0, 10).join(', ') + (matches.length > 10 ? `, … (${matches.length} in all)` : '');
      return fail('ambiguous-revision', `${ref} is ambiguous: it starts ${matches.length} revision ids: ${shown}`, {
        candidates: matches,
        hint: `Type more of the id, e.g. \`${matches[0]}\`.`,
      });
    }
    const close = this.closeMatches(ref);
    return fail('unknown-revision', `no revision ${JSON.stringify(ref)}`, {
      candidates: close,
      hint: close.length
        ? `Did you mean ${close.map((c) => `\`${c}\``).join(' or ')}?`
        : 'Run `migrate history` to list the revisions.',
    });
  }

  private withPrefix(ref: string): string[] {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] < ref) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < ids.length && ids[i].startsWith(ref); i++) out.push(ids[i]);
    return out;
  }

  /** Ids the user may have meant: same prefix ignoring case, or a typo or two away. */
  private closeMatches(ref: string): string[] {
    if (ref === '') return [];
    const lower = ref.toLowerCase();
    const limit = ref.length >= 8 ? 2 : ref.length >= 3 ? 1 : 0;
    const scored: [number, string][] = [];
    for (const id of this.ids) {
      if (id.toLowerCase().startsWith(lower)) scored.push([0, id]);
      else if (limit > 0) {
        const d = editDistance(ref, id.slice(0, ref.length), limit);
        if (d <= limit) scored.push([d, id]);
      }
    }
    scored.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
    return scored.slice(0, 5).map(([, id]) => id);
  }

  /** The ids at the other end of i's edges. */
  private idsOf({ start, list }: Edges, i: number): string[] {
    const out: string[] = [];
    for (let k = start[i]; k < start[i + 1]; k++) out.push(this.ids[list[k]]);
    return out;
  }

  private reach(ids: Iterable<string>, { start, list }: Edges, inclusive: boolean): Set<string> {
    const seen = new Uint8Array(this.size);
    const queue: number[] = [];
    const starts: number[] = [];
    for (const id of ids) {
      const i = this.rank.get(id);
      if (i !== undefined) starts.push(i);
    }
    const visit = (i: number): void => {
      for (let k = start[i]; k < start[i + 1]; k++) {
        const j = list[k];
        if (!seen[j]) {
          seen[j] = 1;
          queue.push(j);
        }
      }
    };
    for (const s of starts) visit(s);
    for (let q = 0; q < queue.length; q++) visit(queue[q]);
    const out = new Set<string>();
    if (inclusive) for (const s of starts) out.add(this.ids[s]);
    for (const i of queue) out.add(this.ids[i]);
    return out;
  }
}

function fail(code: string, message: string, details: { candidates: string[]; hint: string }): never {
  throw usageError(code, message, details);
}

/** Deterministic Kahn: a binary min-heap of ranks, so the smallest ready id goes next. */
function kahn(up: Edges, down: Edges, blocked: Uint8Array, pos: Int32Array): number[] {
  const n = pos.length;
  const waiting = new Int32Array(n);
  const heap: number[] = [];
  for (let i = 0; i < n; i++) {
    waiting[i] = up.count(i) + blocked[i];
    if (waiting[i] === 0) heapPush(heap, i);
  }
  const order: number[] = [];
  const { start, list } = down;
  while (heap.length) {
    const i = heapPop(heap);
    pos[i] = order.length;
    order.push(i);
    for (let k = start[i]; k < start[i + 1]; k++) if (--waiting[list[k]] === 0) heapPush(heap, list[k]);
  }
  return order;
}

function heapPush(heap: number[], v: number): void {
  let i = heap.length;
  heap.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p] <= v) break;
    heap[i] = heap[p];
    i = p;
  }
  heap[i] = v;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const c = l + 1 < heap.length && heap[l + 1] < heap[l] ? l + 1 : l;
      if (heap[c] >= last) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
  }
  return top;
}

/** Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}
