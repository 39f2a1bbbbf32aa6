/**
 * Split a SQL file into statements the way psql does (src/fe_utils/psqlscan.l).
 * (How a statement may run inside a transaction is decided in classify.ts.)
 *
 * Pure and linear: one pass, no backtracking beyond a bounded look-ahead, slices
 * of the input instead of concatenation. Never throws: anything unterminated
 * (string, quoted identifier, dollar quote, comment, parenthesis, BEGIN ATOMIC
 * body) makes the rest of the input part of the last statement (on the line of a
 * COPY ... FROM stdin, the rest of that line: the data follows).
 *
 * Assumptions, as in every server since 9.1: standard_conforming_strings is on
 * (a backslash in '...' is an ordinary character) and the input is LF-normalised.
 */

export interface Statement {
  /** From the statement's first token (leading whitespace and comments skipped)
   *  through its `;`; or, when unterminated, through its last token. */
  text: string;
  /** Offset (UTF-16 code units) of `text` in the input. */
  start: number;
  /** Offset just past `text`. */
  end: number;
  /** 1-based line of `start`. */
  line: number;
  /** 1-based column of `start`, in code points. */
  column: number;
  /** Ended by `;` (false for a statement cut by end of input or a meta-command). */
  terminated: boolean;
}

/** A psql backslash command found outside strings, comments and quotes. */
export interface MetaCommand {
  line: number;
  column: number;
  /** From the backslash to the end of its line, trailing blanks removed. */
  text: string;
}

export interface SplitResult {
  statements: Statement[];
  metaCommands: MetaCommand[];
}


// ---------------------------------------------------------------- the lexer

export type TokenKind =
  | 'space' // whitespace and -- comments
  | 'comment' // a closed /* */ comment
  | 'open-comment' // a /* comment running to end of input
  | 'word' // an unquoted identifier or keyword
  | 'quoted' // "identifier" or U&"identifier"
  | 'string' // '...', E'...', B'...', X'...', U&'...'
  | 'dollar' // $tag$ ... $tag$
  | 'number'
  | 'param' // $1
  | 'meta' // a backslash command, to end of line
  | 'punct'; // any other single character

const TAB = 9, LF = 10, FF = 12, CR = 13, SPACE = 32, DQUOTE = 34, DOLLAR = 36, AMP = 38;
const QUOTE = 39, LPAREN = 40, RPAREN = 41, STAR = 42, PLUS = 43, DASH = 45, DOT = 46;
const SLASH = 47, SEMI = 59, BACKSLASH = 92, UNDERSCORE = 95;

const isSpace = (c: number) => c === SPACE || c === TAB || c === LF || c === CR || c === FF;
const isDigit = (c: number) => c >= 48 && c <= 57;
// psql works on bytes and takes every byte >= 0x80 as a letter; every UTF-16
// unit >= 0x80 (surrogates included) belongs to such a character.
const isIdentStart = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === UNDERSCORE || c >= 128;
const isTagCont = (c: number) => isIdentStart(c) || isDigit(c);
const isIdentCont = (c: number) => isTagCont(c) || c === DOLLAR;

/** Reads one token at a time; `kind`, `start`, `end` describe the last one read. */
export class Lexer {
  kind: TokenKind = 'space';
  start = 0;
  end = 0;

  constructor(private readonly s: string) {}

  /** Reads the token that begins at `at`; false at end of input. */
  next(at: number): boolean {
    const s = this.s;
    const n = s.length;
    if (at >= n) return false;
    const c = s.charCodeAt(at);
    const d = s.charCodeAt(at + 1);
    this.start = at;
    let kind: TokenKind = 'punct';
    let end = at + 1;
    if (isSpace(c)) {
      kind = 'space';
      while (isSpace(s.charCodeAt(end))) end++;
    } else if (c === DASH && d === DASH) {
      kind = 'space';
      end = lineEnd(s, at);
    } else if (c === SLASH && d === STAR) {
      end = blockCommentEnd(s, at);
      kind = end < 0 ? 'open-comment' : 'comment';
      if (end < 0) end = n;
    } else if (c === QUOTE) {
      kind = 'string';
      end = stringEnd(s, at + 1, false);
    } else if (c === DQUOTE) {
      kind = 'quoted';
      end = quotedEnd(s, at + 1);
    } else if (c === DOLLAR) {
      if (isDigit(d)) {
        kind = 'param';
        end = junkEnd(s, digitsEnd(s, at + 1));
      } else {
        const tagEnd = dollarTagEnd(s, at);
        if (tagEnd > 0) {
          kind = 'dollar';
          const close = s.indexOf(s.slice(at, tagEnd), tagEnd);
          end = close < 0 ? n : close + (tagEnd - at);
        }
        // else a lone `$`; a following name is read as a word, as psql does
      }
    } else if (c === BACKSLASH) {
      kind = 'meta';
      end = lineEnd(s, at);
    } else if (isDigit(c)) {
      kind = 'number';
      end = numberEnd(s, at);
    } else if (isIdentStart(c)) {
      const lower = c | 32;
      if (d === QUOTE && (lower === 101 || lower === 98 || lower === 120)) {
        // E'...' takes backslash escapes; B'...' and X'...' end where '...' would
        kind = 'string';
        end = stringEnd(s, at + 2, lower === 101);
      } else if (d === QUOTE && lower === 110) {
        // N'...': psql reads the N alone (not as an identifier), then the string
      } else if (d === AMP && lower === 117) {
        // U&'...' is a standard string, U&"..." an identifier; a lone U is no identifier
        const e = s.charCodeAt(at + 2);
        if (e === QUOTE) [kind, end] = ['string', stringEnd(s, at + 3, false)];
        else if (e === DQUOTE) [kind, end] = ['quoted', quotedEnd(s, at + 3)];
      } else {
        kind = 'word';
        while (isIdentCont(s.charCodeAt(end))) end++;
      }
    }
    this.kind = kind;
    this.end = end;
    return true;
  }
}

function lineEnd(s: string, at: number): number {
  let i = at;
  for (let c = s.charCodeAt(i); i < s.length && c !== LF && c !== CR; c = s.charCodeAt(++i));
  return i;
}

/** End of the nested comment opened at `at`, or -1 when it never closes. */
function blockCommentEnd(s: string, at: number): number {
  let depth = 0;
  for (let i = at + 2; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === SLASH && s.charCodeAt(i + 1) === STAR) {
      depth++;
      i++;
    } else if (c === STAR && s.charCodeAt(i + 1) === SLASH) {
      if (depth === 0) return i + 2;
      depth--;
      i++;
    }
  }
  return -1;
}

/**
 * End of a '...' string whose body starts at `i` ('' doubles a quote).
 * 'foo'<newline>'bar' is one literal to the server, but psql feeds its lexer one
 * line at a time and so always reads the second part as a fresh standard string,
 * even after E'...'; we do the same, so files split exactly as under psql.
 */
function stringEnd(s: string, i: number, backslashEscapes: boolean): number {
  const n = s.length;
  for (;;) {
    if (backslashEscapes) {
      for (let c = s.charCodeAt(i); i < n && c !== QUOTE; c = s.charCodeAt(i)) i += c === BACKSLASH ? 2 : 1;
    } else {
      i = s.indexOf("'", i);
    }
    if (i < 0 || i >= n) return n;
    if (s.charCodeAt(i + 1) !== QUOTE) return i + 1;
    i += 2;
  }
}

function quotedEnd(s: string, i: number): number {
  for (;;) {
    const q = s.indexOf('"', i);
    if (q < 0) return s.length;
    if (s.charCodeAt(q + 1) !== DQUOTE) return q + 1;
    i = q + 2;
  }
}

/** End of `$$` or `$tag$` at `at` (a tag is an identifier without `$`), or -1. */
function dollarTagEnd(s: string, at: number): number {
  let i = at + 1;
  if (s.charCodeAt(i) !== DOLLAR) {
    if (!isIdentStart(s.charCodeAt(i))) return -1;
    while (isTagCont(s.charCodeAt(++i)));
  }
  return s.charCodeAt(i) === DOLLAR ? i + 1 : -1;
}

function digitsEnd(s: string, i: number): number {
  for (let c = s.charCodeAt(i); isDigit(c) || c === UNDERSCORE; c = s.charCodeAt(++i));
  return i;
}

/** Letters glued to a number (`1e`, `12abc`, `$1x`) are one token, never an identifier. */
function junkEnd(s: string, i: number): number {
  if (isIdentStart(s.charCodeAt(i))) while (isIdentCont(s.charCodeAt(++i)));
  return i;
}

function numberEnd(s: string, at: number): number {
  let i = digitsEnd(s, at);
  if (s.charCodeAt(i) === DOT && s.charCodeAt(i + 1) !== DOT) i = digitsEnd(s, i + 1);
  if ((s.charCodeAt(i) | 32) === 101) {
    const sign = s.charCodeAt(i + 1) === PLUS || s.charCodeAt(i + 1) === DASH ? 1 : 0;
    if (isDigit(s.charCodeAt(i + 1 + sign))) i = digitsEnd(s, i + 1 + sign);
  }
  return junkEnd(s, i);
}

// ------------------------------------------------------------- the splitter

/**
 * psql's begin_depth heuristic: in a statement whose first identifiers read
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN opens a block, CASE (inside a
 * block) opens another, END closes one; `;` ends nothing while a block is open.
 * Identifiers count wherever they are, but BEGIN/CASE/END only outside parentheses.
 */
class RoutineBodyTracker {
  depth = 0;
  private count = 0;
  private readonly firstLetters = [0, 0, 0, 0];

  reset(): void {
    this.depth = 0;
    this.count = 0;
  }

  identifier(s: string, start: number, end: number, parenDepth: number): void {
    const f = this.firstLetters;
    if (this.count === 0) f.fill(0);
    const word = end - start <= 9 ? s.slice(start, end).toLowerCase() : '';
    const head = word === 'create' || word === 'or' || word === 'replace' || word === 'function' || word === 'procedure';
    if (head && this.count < f.length) f[this.count] = word.charCodeAt(0);
    this.count++;
    const c = 99, o = 111, r = 114, fn = 102, p = 112; // c o r f p
    const routine =
      f[0] === c && (f[1] === fn || f[1] === p || (f[1] === o && f[2] === r && (f[3] === fn || f[3] === p)));
    if (!routine || parenDepth !== 0) return;
    if (word === 'begin') this.depth++;
    else if (word === 'case' && this.depth >= 1) this.depth++;
    else if (word === 'end' && this.depth > 0) this.depth--;
  }
}

/** Line and code-point column of offsets asked for in increasing order, in linear total time. */
class Cursor {
  private pos = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly s: string) {}

  at(offset: number): { line: number; column: number } {
    const s = this.s;
    const back = offset < this.pos; // not expected; stays correct by starting over
    let [pos, line, column] = back ? [0, 1, 1] : [this.pos, this.line, this.column];
    for (; pos < offset; pos++) {
      const c = s.charCodeAt(pos);
      if (c === LF) {
        line++;
        column = 1;
      } else if (!(c >= 0xdc00 && c <= 0xdfff && pos > 0 && (s.charCodeAt(pos - 1) & 0xfc00) === 0xd800)) {
        column++; // the low half of a surrogate pair is no new character
      }
    }
    [this.pos, this.line, this.column] = [pos, line, column];
    return { line, column };
  }
}

/** COPY ... FROM STDIN: psql feeds the lines after it to the server as data. */
export function isCopyFromStdin(text: string): boolean {
  const t = leadingTokens(text, Infinity);
  if (t[0]?.text !== 'copy') return false;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i].text === '(') depth++;
    else if (t[i].text === ')') depth--;
    else if (depth === 0 && t[i].text === 'from' && t[i + 1]?.text === 'stdin') return true;
  }
  return false;
}

/**
 * Skip COPY data: the lines from `from` to a line that is `\.` (reported as a
 * meta-command, which it is to psql) or to end of input. Returns where SQL resumes.
 */
function skipCopyData(sql: string, from: number, cursor: Cursor, metaCommands: MetaCommand[]): number {
  for (let line = from; line > 0 && line < sql.length; line = sql.indexOf('\n', line) + 1) {
    if (sql.startsWith('\\.', line)) {
      const end = lineEnd(sql, line);
      if (end === line + 2) {
        const { line: l, column } = cursor.at(line);
        metaCommands.push({ line: l, column, text: '\\.' });
        return end;
      }
    }
  }
  return sql.length;
}

/**
 * Split `sql` into statements as psql would send them, and list its meta-commands.
 * A meta-command also ends the statement before it (unterminated): sqlrev cannot
 * send psql-only text, and keeping it out of statements keeps them valid SQL.
 */
export function splitSql(sql: string): SplitResult {
  const statements: Statement[] = [];
  const metaCommands: MetaCommand[] = [];
  const lexer = new Lexer(sql);
  const cursor = new Cursor(sql);
  const routine = new RoutineBodyTracker();
  let start = -1; // offset of the current statement's first token; -1 between statements
  let lastEnd = 0; // end of the current statement's last token
  let parenDepth = 0;

  const finish = (end: number, terminated: boolean) => {
    if (start >= 0) {
      const { line, column } = cursor.at(start);
      statements.push({ text: sql.slice(start, end), start, end, line, column, terminated });
    }
    start = -1;
    parenDepth = 0;
    routine.reset();
  };

  let at = 0;
  // psql runs the rest of a COPY ... FROM STDIN line as SQL, then feeds the
  // following lines to the COPY: `copyData` is where those lines begin.
  let copyData = -1;
  for (;;) {
    if (copyData >= 0 && at >= copyData) {
      // A statement begun on the COPY line ends there: psql would resume it
      // after the data, but a slice of the input cannot skip the data (and a
      // file with COPY FROM STDIN is refused anyway).
      finish(lastEnd, false);
      at = skipCopyData(sql, copyData, cursor, metaCommands);
      copyData = -1;
    }
    if (!lexer.next(at)) break;
    // A token still open at the end of the COPY line is cut there.
    at = copyData >= 0 && lexer.end > copyData ? copyData : lexer.end;
    const kind = lexer.kind;
    if (kind === 'space' || kind === 'comment') continue;
    if (kind === 'meta') {
      finish(lastEnd, false);
      const { line, column } = cursor.at(lexer.start);
      metaCommands.push({ line, column, text: sql.slice(lexer.start, lexer.end).trimEnd() });
      continue;
    }
    if (kind === 'punct') {
      const c = sql.charCodeAt(lexer.start);
      if (c === SEMI && (start < 0 || (parenDepth === 0 && routine.depth === 0))) {
        if (start >= 0 && /^copy\b/i.test(sql.slice(start, start + 5)) && isCopyFromStdin(sql.slice(start, at))) {
          const newline = sql.indexOf('\n', at);
          copyData = newline < 0 ? -1 : newline + 1;
        }
        finish(at, true); // a lone `;` finishes nothing and is dropped
        continue;
      }
      if (c === LPAREN) parenDepth++;
      else if (c === RPAREN && parenDepth > 0) parenDepth--;
    } else if (kind === 'word') {
      routine.identifier(sql, lexer.start, lexer.end, parenDepth);
    }
    if (start < 0) start = lexer.start;
    lastEnd = at;
  }
  finish(lastEnd, false);
  return { statements, metaCommands };
}

// ------------------------------------------------------------ tokens

export interface Token {
  kind: TokenKind;
  /** Lower-cased for words; the raw text otherwise. */
  text: string;
}

/** The first `max` tokens of `text` that are neither whitespace nor comments. */
export function leadingTokens(text: string, max: number): Token[] {
  const tokens: Token[] = [];
  const lexer = new Lexer(text);
  for (let at = 0; tokens.length < max && lexer.next(at); at = lexer.end) {
    const { kind, start, end } = lexer;
    if (kind === 'space' || kind === 'comment') continue;
    const raw = text.slice(start, end);
    tokens.push({ kind, text: kind === 'word' ? raw.toLowerCase() : raw });
  }
  return tokens;
}
