/**
 * Header comments of a migration file: the leading `-- key: value` lines,
 * before the first line that is neither blank nor a `--` comment.
 * Pure: text in, headers and problems out.
 */
import type { Problem } from './errors.js';

export const KNOWN_HEADERS = ['parent', 'message', 'transaction', 'irreversible'] as const;
export type HeaderKey = (typeof KNOWN_HEADERS)[number];

export interface Header {
  key: HeaderKey;
  value: string;
  /** 1-based line of the header. */
  line: number;
}

export interface ParsedHeaders {
  headers: ReadonlyMap<HeaderKey, Header>;
  /** 1-based line of the first line after the header block. */
  bodyLine: number;
  problems: readonly Problem[];
  /** `-- key:` comments that look like a misspelled known key, by the key they resemble. */
  nearMisses: ReadonlyMap<HeaderKey, { written: string; line: number }>;
}

// Shared by every file that has none: most down files have no header at all,
// and hardly any file has a problem, so a folder of 20,000 revisions is spared
// some 100,000 empty Maps and arrays (part of the change measured in
// docs/benchmarks.md, "Status at 4de2529").
const NO_HEADERS: ReadonlyMap<HeaderKey, Header> = new Map();
const NO_NEAR_MISSES: ReadonlyMap<HeaderKey, { written: string; line: number }> = new Map();
const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);

/** What a file without a header block has, or one that was not read: nothing, and its body from line 1. */
export const NO_HEADER_BLOCK: ParsedHeaders = { headers: NO_HEADERS, bodyLine: 1, problems: NO_PROBLEMS, nearMisses: NO_NEAR_MISSES };

const HEADER_LINE = /^--\s*([A-Za-z][A-Za-z0-9_-]*)\s*:(.*)$/;

/** What PostgreSQL skips as whitespace. Not String.trim(): a no-break space or a BOM before `--` is an identifier character to the server, so SQL. */
function isSqlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0c;
}

const DASH = 0x2d;

/** Parse the header block of `text` (already normalised to LF). */
export function parseHeaders(text: string, file: string): ParsedHeaders {
  let headers: Map<HeaderKey, Header> | undefined;
  let nearMisses: Map<HeaderKey, { written: string; line: number }> | undefined;
  let problems: Problem[] | undefined;
  const parsed = (bodyLine: number): ParsedHeaders => ({
    headers: headers ?? NO_HEADERS, bodyLine, problems: problems ?? NO_PROBLEMS, nearMisses: nearMisses ?? NO_NEAR_MISSES,
  });
  // Most files have no CR at all: then no line needs splitting at one.
  let cr = text.indexOf('\r');
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl;
    lineNo++;
    // A lone CR ends a `--` comment for the server (CRLF is LF by now): the
    // rest of such a line is read as another line, though numbered as this one.
    let start = pos;
    while (start <= lineEnd) {
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      const end = cr === -1 || cr > lineEnd ? lineEnd : cr;
      // Trim what the server skips; charCodeAt and one slice, not a regex per line.
      let a = start;
      let b = end;
      while (a < b && isSqlSpace(text.charCodeAt(a))) a++;
      while (b > a && isSqlSpace(text.charCodeAt(b - 1))) b--;
      if (a < b) {
        if (b - a < 2 || text.charCodeAt(a) !== DASH || text.charCodeAt(a + 1) !== DASH) {
          return parsed(lineNo);
        }
        const m = HEADER_LINE.exec(text.slice(a, b));
        if (m) header(m[1], m[2].trim(), lineNo);
      }
      start = end + 1;
    }
    if (nl === -1) break;
    pos = nl + 1;
  }
  return parsed(lineNo + 1);

  function header(written: string, value: string, line: number): void {
    if (isKnown(written)) {
      headers ??= new Map();
      const previous = headers.get(written);
      if (previous) {
        (problems ??= []).push({
          file, line, code: 'duplicate-header',
          message: `header "${written}" appears twice (lines ${previous.line} and ${line})`,
          hint: `keep one "-- ${written}:" line`,
        });
      } else {
        headers.set(written, { key: written, value, line });
      }
    } else {
      const resembled = closestKnownKey(written);
      if (resembled && !nearMisses?.has(resembled)) (nearMisses ??= new Map()).set(resembled, { written, line });
    }
  }
}

function isKnown(key: string): key is HeaderKey {
  return (KNOWN_HEADERS as readonly string[]).includes(key);
}

/**
 * The known key a written key was probably meant to be: same letters in
 * another case, or at most two edits away for keys long enough that two
 * edits do not make an unrelated word (`parnet`, `transacton`, `Parent`).
 */
export function closestKnownKey(written: string): HeaderKey | undefined {
  const lower = written.toLowerCase();
  let best: HeaderKey | undefined;
  let bestDistance = Infinity;
  for (const key of KNOWN_HEADERS) {
    const allowed = key.length >= 6 ? 2 : 1;
    // The distance is at least the difference in length: a long key needs no table.
    if (Math.abs(lower.length - key.length) > allowed) continue;
    const d = editDistance(lower, key);
    if (d <= allowed && d < bestDistance) {
      best = key;
      bestDistance = d;
    }
  }
  return best;
}

/** Damerau–Levenshtein (optimal string alignment) distance: a swap of two letters costs 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}
