/**
 * Fuzzing helpers: random and mutated inputs from a seeded PRNG, and a loop
 * that runs one property per case and prefixes any failure with the case's
 * seed, so `SQLREV_FUZZ_SEED=<seed> SQLREV_FUZZ_CASES=1` replays it alone.
 */
import { campaign, Random } from './random.js';

/** Pieces that open, close or confuse the lexical states of SQL and of headers. */
export const PIECES = [
  "'", "''", '"', '""', '$', '$$', '$a$', '$b$', '$é$', '$1', '$1x', "E'", "e'", "E'\\'", "B'", "X'", "N'", "U&'", 'U&"', 'U&',
  '\\', '\\\\', '\\.', '\\;', '\\i x', '/*', '*/', '/* /* */', '--', '-- parent: a', '-- transaction: false', '-- irreversible: x',
  '\n', '\n\n', '\r\n', '\r', ' ', '\t', '\f', '\v', ';', ';;', '(', ')', ':', ',', '.', '..', '\0',
  'é', '😀', '\ud800', '\udc00', '\u2028', '\u00a0', '\ufeff', '\u3000',
  'begin', 'BEGIN ATOMIC', 'case', 'CASE', 'end', 'END', 'create', 'CREATE', 'or', 'replace', 'function', 'procedure',
  'copy', 'COPY t FROM stdin', ' from ', 'stdin', 'select', '1', '1.5e3', '1e', '0x1F', 'x', 'abc', '_', 'head', 'base', '+', '-', '+1', '-2',
];

/** One random UTF-16 unit or code point, biased towards the interesting ones. */
export function randomChar(r: Random): string {
  switch (r.int(6)) {
    case 0: return String.fromCharCode(r.int(128)); // any ASCII, controls included
    case 1: return String.fromCharCode(32 + r.int(95)); // printable ASCII
    case 2: return r.pick(['\n', ' ', ';', "'", '"', '$', '\\', '-', '/', '*', '\r', '\0']);
    case 3: return String.fromCharCode(r.int(0x10000)); // any unit, lone surrogates too
    case 4: return String.fromCodePoint(0x80 + r.int(0x10ff80));
    default: return String.fromCharCode(48 + r.int(75)); // digits and letters, roughly
  }
}

/** Up to `max` units of random characters and pieces. */
export function randomText(r: Random, max = 200): string {
  let s = '';
  for (let n = r.int(max); s.length < n;) s += r.chance(0.5) ? r.pick(PIECES) : randomChar(r);
  return s;
}

/** 1–8 edits: flips, insertions of pieces, deletions, truncation, duplication. */
export function mutate(r: Random, text: string): string {
  let s = text;
  for (let k = 1 + r.int(8); k > 0; k--) {
    const i = r.int(s.length + 1);
    const j = i + r.int(Math.min(40, s.length - i) + 1);
    switch (r.int(7)) {
      case 0: s = s.slice(0, i) + randomChar(r) + s.slice(i + 1); break;
      case 1: s = i < s.length ? s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << r.int(16))) + s.slice(i + 1) : s; break;
      case 2: case 3: s = s.slice(0, i) + r.pick(PIECES) + s.slice(i); break;
      case 4: s = s.slice(0, i) + s.slice(j); break;
      case 5: s = s.slice(0, i); break;
      default: s = s.slice(0, j) + s.slice(i, j) + s.slice(j); break;
    }
  }
  return s;
}

/** Byte-level edits of UTF-8 text: bit flips, stray bytes, BOMs, CRLF, cuts inside a character. */
export function mutateBytes(r: Random, bytes: Uint8Array): Uint8Array {
  let b = [...bytes];
  for (let k = 1 + r.int(4); k > 0; k--) {
    const i = r.int(b.length + 1);
    switch (r.int(5)) {
      case 0: if (i < b.length) b[i] ^= 1 << r.int(8); break;
      case 1: b.splice(i, 0, r.int(256)); break;
      case 2: b.splice(i, 0, ...r.pick([[0xef, 0xbb, 0xbf], [13, 10], [13], [0xc3], [0xf0, 0x9f]])); break;
      case 3: b = b.slice(0, i); break;
      default: b.splice(i, r.int(8)); break;
    }
  }
  return Uint8Array.from(b);
}

export interface Stats {
  cases: number;
  seed: number;
  ms: number;
  slowestMs: number;
}

/**
 * Runs `check` on `cases` cases seeded `seed`, `seed + 1`, …. A failure is
 * rethrown with its seed and input first. Each call is timed: one case over
 * `capMs` is a hang (loose on purpose: the machine may be busy).
 */
export function fuzz<T>(name: string, defaultCases: number, make: (r: Random) => T, check: (input: T) => void, capMs = 2000): Stats {
  const { cases, seed } = campaign(defaultCases);
  const started = performance.now();
  let slowestMs = 0;
  for (let k = 0; k < cases; k++) {
    const caseSeed = seed + k;
    const input = make(new Random(caseSeed));
    const t0 = performance.now();
    try {
      check(input);
    } catch (e) {
      const shown = JSON.stringify(input, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)) ?? String(input);
      if (e instanceof Error) e.message = `seed ${caseSeed} (${name}): input ${shown.slice(0, 2000)}\n${e.message}`;
      throw e;
    }
    const ms = performance.now() - t0;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > capMs) throw new Error(`seed ${caseSeed} (${name}): one case took ${Math.round(ms)} ms (cap ${capMs} ms): a hang?`);
  }
  const stats = { cases, seed, ms: performance.now() - started, slowestMs };
  if (process.env.SQLREV_FUZZ_CASES) {
    process.stderr.write(`fuzz ${name}: ${cases} cases from seed ${seed} in ${Math.round(stats.ms)} ms (slowest ${slowestMs.toFixed(1)} ms)\n`);
  }
  return stats;
}
