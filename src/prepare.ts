/**
 * One migration file's bytes made ready for pairing: decoded, normalised,
 * hashed and its headers parsed, with the problems found in it alone. Pure
 * and independent of every other file; readRevisions adds the revision id
 * to the problems. (Running it on the reading worker thread was measured
 * and not kept: docs/benchmarks.md.)
 */
import { checksum, normaliseBytes } from './checksum.js';
import type { Problem } from './errors.js';
import { parseHeaders, type ParsedHeaders } from './headers.js';
import { lineColumnAt } from './position.js';
import type { RevisionFile } from './types.js';

export interface PreparedFile {
  /** The file, when it can be used (its headers may still have problems). */
  file?: RevisionFile;
  parsed?: ParsedHeaders;
  /** Problems of the file itself (empty, not UTF-8, a NUL byte, a bad transaction header), without a revision id. */
  problems: Problem[];
}

/** `contents` false: the text and checksum are left empty (readRevisions' ReadOptions). */
export function prepareFile(file: string, bytes: Uint8Array, contents = true): PreparedFile {
  if (bytes.length === 0) {
    return {
      problems: [{
        file, line: 1, code: 'empty-file',
        message: `${file} is empty`,
        hint: file.endsWith('.up.sql')
          ? 'an up file needs at least its "-- parent:" header'
          : 'write the SQL that undoes the up file, or "-- irreversible: <reason>"',
      }],
    };
  }
  let text: string;
  try {
    text = normaliseBytes(bytes);
  } catch {
    return {
      problems: [{
        file, line: firstBadUtf8Line(bytes), code: 'invalid-utf8',
        message: `${file} is not valid UTF-8`,
        hint: 'save the file as UTF-8',
      }],
    };
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    // PostgreSQL cannot take a NUL in a query or in a text value.
    return {
      problems: [{
        file, line: lineColumnAt(text, nul).line, code: 'nul-byte',
        message: `${file} contains a NUL byte, which PostgreSQL accepts neither in SQL nor in text`,
        hint: 'remove it (a file saved as UTF-16 looks like this: save it as UTF-8)',
      }],
    };
  }
  const problems: Problem[] = [];
  const parsed = parseHeaders(text, file);
  const transaction = parsed.headers.get('transaction');
  let transactional = true;
  if (transaction) {
    const v = transaction.value.toLowerCase();
    if (v === 'false') transactional = false;
    else if (v !== 'true') {
      problems.push({
        file, line: transaction.line, code: 'bad-header',
        message: `"-- transaction: ${transaction.value}" must be true or false`,
        hint: 'write "-- transaction: false" to run this file outside a transaction',
      });
    }
  }
  return {
    file: contents
      ? { path: file, text, checksum: checksum(text), transactional, bodyLine: parsed.bodyLine }
      : { path: file, text: '', checksum: '', transactional, bodyLine: parsed.bodyLine },
    parsed,
    problems,
  };
}

function firstBadUtf8Line(bytes: Uint8Array): number {
  let line = 1;
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return 1;
}
