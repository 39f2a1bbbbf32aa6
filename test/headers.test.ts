/**
 * parseHeaders scans lines with char codes (src/headers.ts). Its answers
 * must be those of the straightforward version it replaced, kept here as the
 * reference: split each line at lone CRs, trim [ \t\f] with a regex, match.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closestKnownKey, KNOWN_HEADERS, parseHeaders, type HeaderKey } from '../src/headers.js';
import { Random } from './support/random.js';

const t = suite('headers');

const HEADER_LINE = /^--\s*([A-Za-z][A-Za-z0-9_-]*)\s*:(.*)$/;
const SQL_SPACE = /^[ \t\f]+|[ \t\f]+$/g;

function reference(text: string): { headers: [string, string, number][]; bodyLine: number; problems: [string, number][]; nearMisses: [string, string, number][] } {
  const headers = new Map<string, { value: string; line: number }>();
  const nearMisses = new Map<HeaderKey, { written: string; line: number }>();
  const problems: [string, number][] = [];
  const done = (bodyLine: number) => ({
    headers: [...headers].map(([k, h]): [string, string, number] => [k, h.value, h.line]),
    bodyLine,
    problems,
    nearMisses: [...nearMisses].map(([k, m]): [string, string, number] => [k, m.written, m.line]),
  });
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl;
    lineNo++;
    for (const part of text.slice(pos, lineEnd).split('\r')) {
      const trimmed = part.replace(SQL_SPACE, '');
      if (trimmed !== '' && !trimmed.startsWith('--')) return done(lineNo);
      const m = HEADER_LINE.exec(trimmed);
      if (!m) continue;
      const [written, value] = [m[1], m[2].trim()];
      if ((KNOWN_HEADERS as readonly string[]).includes(written)) {
        if (headers.has(written)) problems.push(['duplicate-header', lineNo]);
        else headers.set(written, { value, line: lineNo });
      } else {
        const resembled = closestKnownKey(written);
        if (resembled && !nearMisses.has(resembled)) nearMisses.set(resembled, { written, line: lineNo });
      }
    }
    if (nl === -1) break;
    pos = nl + 1;
  }
  return done(lineNo + 1);
}

function parsed(text: string): ReturnType<typeof reference> {
  const p = parseHeaders(text, 'm/0001_x.up.sql');
  return {
    headers: [...p.headers].map(([k, h]): [string, string, number] => [k, h.value, h.line]),
    bodyLine: p.bodyLine,
    problems: p.problems.map((x): [string, number] => [x.code, x.line!]),
    nearMisses: [...p.nearMisses].map(([k, m]): [string, string, number] => [k, m.written, m.line]),
  };
}

const PIECES = ['--', '-- ', '-', 'parent', 'Parent', 'parnet', 'message', 'transaction', 'irreversible', 'x', ':', ' : ', ' ', '\t', '\f', '\r', '\n', '\n', '\n', '\u00a0', '\ufeff', '\u2028', 'select 1;', 'base', '0001', ' 0002', ',', '-- parent: base\n', '-- message: hi\n', '--\n'];

t('gives the reference answers on generated header blocks', () => {
  const r = new Random(20261204);
  for (let c = 0; c < 4000; c++) {
    let text = '';
    const n = r.int(30);
    for (let i = 0; i < n; i++) text += r.pick(PIECES);
    assert.equal(parsed(text), reference(text), JSON.stringify(text));
  }
});

t('fixed cases', () => {
  for (const text of ['', '\n', '\r', '-- parent: base', '  \t-- parent: a b  \f\nselect 1;', '-- parent: a\r-- message: m\rselect', '\f\n \n--x\n\u00a0-- parent: a\n', '-- message: one\n-- message: two\n-- parnet: a\n']) {
    assert.equal(parsed(text), reference(text), JSON.stringify(text));
  }
});

t.run();
