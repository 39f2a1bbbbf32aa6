/**
 * Quoting for the few places where text becomes SQL source: the state
 * schema's name (an identifier) and, in `--sql` output, file texts shown as
 * literals. Statements sent to the server carry values as parameters instead.
 */

/** A double-quoted identifier; any name is safe, including `x"; drop table t; --`. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new TypeError('an identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal that means the same whatever `standard_conforming_strings`
 * says: the E'' form always treats backslash as an escape, so both quotes and
 * backslashes are doubled. PostgreSQL text cannot hold NUL, so it is refused.
 */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new TypeError('a string literal cannot contain a NUL character');
  const body = text.replace(/\\/g, '\\\\').replace(/'/g, "''");
  return body === text ? `'${text}'` : `E'${body}'`;
}

/**
 * A text[] value written as PostgreSQL's array syntax, every element quoted:
 * for a `$n::text[]` parameter (sqlrev connects without fetching array types,
 * so a JS array is never sent as a parameter) or a `::text[]` setting.
 */
export function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
