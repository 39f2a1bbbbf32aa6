/**
 * Output: human text (coloured only on a TTY), one JSON document, or GitHub
 * Actions annotations. Results go to stdout; progress, warnings and errors to
 * stderr (DESIGN §9). The library never prints; only the CLI uses this.
 */
import type { Problem } from './errors.js';
import { isatty } from 'node:tty';
import { SqlrevError } from './errors.js';

export type Format = 'human' | 'json' | 'github';

export interface Output {
  format: Format;
  quiet: boolean;
  verbose: boolean;
  /** Colour functions; identity when colour is off. */
  c: Colors;
  /** A result line for stdout. */
  result(text: string): void;
  /** A progress or information line for stderr (silenced by --quiet). */
  info(text: string): void;
  warn(text: string): void;
  /** An error line for stderr (never silenced). */
  error(text: string): void;
  /** The one JSON document of a --json run. */
  json(doc: unknown): void;
}

export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const plain: Colors = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s, cyan: (s) => s };
const ansi = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const colored: Colors = { bold: ansi(1, 22), dim: ansi(2, 22), red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), cyan: ansi(36, 39) };

export interface OutputOptions {
  format: Format;
  quiet?: boolean;
  verbose?: boolean;
  noColor?: boolean;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

/** Colour only on a TTY, never with NO_COLOR (any value) or --no-color. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, noColor = false): boolean {
  if (noColor || env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/**
 * process.stdout and process.stderr as used by the output: each stream is
 * made on first use (making one costs a few milliseconds of start-up, and a
 * quiet no-op `migrate up` writes nothing), and flushOutput() waits only for
 * the streams that were used.
 */
const used = new Set<NodeJS.WriteStream>();
export function stdoutStream(): NodeJS.WriteStream {
  return use(process.stdout);
}
export function stderrStream(): NodeJS.WriteStream {
  return use(process.stderr);
}

function use(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  if (!used.has(stream)) {
    used.add(stream);
    stream.on('error', readerGone);
  }
  return stream;
}

/**
 * A reader that stops early (`migrate history | head`) closes the pipe, and
 * the next write fails with EPIPE. That is not the command's failure: the
 * rest of the output is dropped and the command finishes as it would have (an
 * `up` whose log reader went away must not stop half-way), with its own exit
 * code. Any other write error is still thrown.
 */
function readerGone(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
}

/** Resolves when everything written so far has gone out (output to a pipe is written asynchronously). */
export function flushOutput(): Promise<unknown> {
  return Promise.all([...used].map((stream) => new Promise((resolve) => stream.write('', resolve))));
}

export function createOutput(options: OutputOptions): Output {
  const out = options.stdout ? () => options.stdout! : stdoutStream;
  const err = options.stderr ? () => options.stderr! : stderrStream;
  const env = options.env ?? process.env;
  const c = useColor(options.stderr ?? { isTTY: isatty(2) }, env, options.noColor) ? colored : plain;
  const quiet = options.quiet ?? false;
  return {
    format: options.format,
    quiet,
    verbose: options.verbose ?? false,
    c,
    result: (text) => void out().write(text + '\n'),
    info: (text) => { if (!quiet) err().write(text + '\n'); },
    warn: (text) => void err().write(c.yellow('warning: ') + text + '\n'),
    error: (text) => void err().write(text + '\n'),
    json: (doc) => void out().write(JSON.stringify(doc, null, 2) + '\n'),
  };
}

/** `file:line: message` with a hint line, as compilers print them. */
export function formatProblem(p: Problem, c: Colors = plain): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : '';
  const rev = p.revision ? ` (revision ${p.revision})` : '';
  const hint = p.hint ? `\n  ${c.dim('hint:')} ${p.hint}` : '';
  return `${c.bold(where)}${c.red('error')} ${c.dim(`[${p.code}]`)} ${p.message}${rev}${hint}`;
}

/** A GitHub Actions workflow command; `%`, CR, LF and (in properties) `:` and `,` are escaped. */
export function githubAnnotation(p: Problem): string {
  const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const props = [p.file && `file=${prop(p.file)}`, p.line && `line=${p.line}`, `title=${prop(`sqlrev ${p.code}`)}`].filter(Boolean).join(',');
  const text = p.hint ? `${p.message} — ${p.hint}` : p.message;
  return `::error ${props}::${data(text)}`;
}

/** Render problems in the chosen format (JSON is left to the command's document). */
export function reportProblems(out: Output, problems: readonly Problem[]): void {
  for (const p of problems) {
    if (out.format === 'github') out.result(githubAnnotation(p));
    else out.error(formatProblem(p, out.c));
  }
}

/** Print an error the way the format asks; returns the exit code. */
export function reportError(out: Output, err: SqlrevError): number {
  if (out.format === 'json') {
    out.json({ ok: false, error: err.toJSON() });
  } else {
    if (out.format === 'github' && err.problems.length === 0) {
      out.result(githubAnnotation({ file: err.file, line: err.line, code: err.code, message: err.message, hint: err.hint }));
    }
    reportProblems(out, err.problems);
    const where = err.file ? `${err.file}${err.line ? `:${err.line}` : ''}: ` : '';
    out.error(`${out.c.red('error:')} ${where}${err.message}`);
    if (err.candidates.length && !err.candidates.every((c) => err.message.includes(c))) {
      out.error(`  ${out.c.dim('candidates:')} ${err.candidates.slice(0, 20).join(', ')}${err.candidates.length > 20 ? `, … (${err.candidates.length} in all)` : ''}`);
    }
    if (err.hint) out.error(`  ${out.c.dim('hint:')} ${err.hint}`);
  }
  return err.exitCode;
}
