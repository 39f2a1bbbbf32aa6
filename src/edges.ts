/** Edges of a graph of integers (src/graph.ts), stored flat. Pure. */

/**
 * The edges of every revision in one flat list (compressed rows): those of
 * revision i are list[start[i]] .. list[start[i + 1] - 1]. Two typed arrays
 * instead of 100,000 small arrays for the garbage collector to copy.
 */
export class Edges {
  constructor(
    readonly start: Int32Array,
    readonly list: Int32Array,
  ) {}

  count(i: number): number {
    return this.start[i + 1] - this.start[i];
  }

  /** The ranks at the other end of i's edges, in order. */
  of(i: number): Int32Array {
    return this.list.subarray(this.start[i], this.start[i + 1]);
  }
}
