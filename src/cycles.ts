/** The cycles of a revision graph, reported readably (src/graph.ts). Pure. */
import type { Edges } from './edges.js';
import type { Problem } from './errors.js';

/**
 * One `cycle` problem per strongly connected component of two or more
 * revisions among the unordered ones (iterative Tarjan), each printed as the
 * shortest cycle through the component's smallest id, parents before children.
 */
export function findCycles(ids: readonly string[], down: Edges, pos: Int32Array): Problem[] {
  const n = ids.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const frames: number[] = [];
  const edge: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const enter = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    frames.push(v);
    edge.push(0);
  };
  for (let root = 0; root < n; root++) {
    if (pos[root] >= 0 || index[root] >= 0) continue;
    enter(root);
    while (frames.length) {
      const top = frames.length - 1;
      const v = frames[top];
      if (edge[top] < down.count(v)) {
        const w = down.list[down.start[v] + edge[top]++];
        if (index[w] < 0) enter(w);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      frames.pop();
      edge.pop();
      if (frames.length) {
        const u = frames[frames.length - 1];
        low[u] = Math.min(low[u], low[v]);
      }
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          members.push(w);
        } while (w !== v);
        if (members.length > 1) {
          for (const m of members) comp[m] = components.length;
          components.push(members);
        }
      }
    }
  }
  const problems = components.map((members, c) => {
    const start = minOf(members);
    const path = shortestCycle(start, down, comp, c).map((i) => ids[i]);
    const text = [...path, path[0]].join(' → ');
    return {
      revision: ids[start],
      code: 'cycle',
      message: `the parents form a cycle: ${text} (each revision is a parent of the next)`,
      hint: `Change the \`-- parent:\` header of one of ${path.join(', ')} so the chain ends at an earlier revision or at base.`,
    };
  });
  return problems.sort((a, b) => (a.revision < b.revision ? -1 : 1));
}

function minOf(xs: readonly number[]): number {
  let m = xs[0];
  for (const x of xs) if (x < m) m = x;
  return m;
}

/** BFS from `start` inside component `c` until an edge leads back to `start`. */
function shortestCycle(start: number, down: Edges, comp: Int32Array, c: number): number[] {
  const prev = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of down.of(v)) {
      if (comp[w] !== c) continue;
      if (w === start) {
        const path: number[] = [];
        for (let x = v; x !== -1; x = prev.get(x)!) path.push(x);
        return path.reverse();
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start]; // unreachable: every member of a component lies on a cycle through `start`
}
