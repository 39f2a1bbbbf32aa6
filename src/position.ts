/**
 * Map PostgreSQL error positions onto text.
 *
 * The server reports `position` as a 1-based index in characters of the query
 * as sent. With a UTF-8 connection a character is a Unicode code point, while a
 * JavaScript string counts UTF-16 code units: an emoji is one character to the
 * server and two units here. (A lone surrogate is sent as U+FFFD: one each.)
 */

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Code units taken by the code point at `offset`: 2 for a surrogate pair, else 1. */
function codePointLength(text: string, offset: number): number {
  return isHighSurrogate(text.charCodeAt(offset)) && isLowSurrogate(text.charCodeAt(offset + 1)) ? 2 : 1;
}

/**
 * The UTF-16 offset of the character that a server `position` (1-based, in code
 * points) points at. Positions before the text give 0; past it, `text.length`.
 */
export function positionToOffset(text: string, position: number): number {
  let offset = 0;
  for (let remaining = Math.floor(position) - 1; remaining > 0 && offset < text.length; remaining--) {
    offset += codePointLength(text, offset);
  }
  return Math.min(offset, text.length);
}

/**
 * Line and column of a UTF-16 `offset` in LF-separated text: 1-based line,
 * 1-based column in code points, and that line's text without its newline.
 * Offsets outside the text are clamped to it.
 */
export function lineColumnAt(text: string, offset: number): { line: number; column: number; lineText: string } {
  const at = Math.max(0, Math.min(Math.floor(offset), text.length));
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < at; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  let column = 1;
  for (let i = lineStart; i < at; i += codePointLength(text, i)) column++;
  const lineEnd = text.indexOf('\n', at);
  return { line, column, lineText: text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd) };
}
