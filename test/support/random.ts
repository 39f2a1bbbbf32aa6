/**
 * Seeded randomness for property and fuzz tests: the same seed always builds
 * the same case, so a failure message that starts with its seed reproduces.
 */

/** mulberry32: a tiny seeded PRNG, good enough to shape test cases. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Small helpers over one PRNG. */
export class Random {
  readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/**
 * How many cases and from which seed: SQLREV_FUZZ_CASES and SQLREV_FUZZ_SEED
 * run longer campaigns or replay one failing seed (`SQLREV_FUZZ_CASES=1`).
 */
export function campaign(defaultCases: number, casesVariable = 'SQLREV_FUZZ_CASES'): { cases: number; seed: number } {
  const cases = Number(process.env[casesVariable] ?? defaultCases);
  const seed = Number(process.env.SQLREV_FUZZ_SEED ?? 1);
  if (!Number.isSafeInteger(cases) || cases < 1) throw new Error(`${casesVariable} must be a whole number ≥ 1, not ${process.env[casesVariable]}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`SQLREV_FUZZ_SEED must be a whole number ≥ 0, not ${process.env.SQLREV_FUZZ_SEED}`);
  return { cases, seed };
}
