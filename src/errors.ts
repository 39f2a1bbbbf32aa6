/**
 * Errors as data: every failure sqlrev reports is a SqlrevError with a stable
 * `code`, the process exit code the contract assigns to it, and the facts a
 * user needs to act (file, line, revision, what to type next).
 */

/** Exit codes from the contract (DESIGN.md §7). */
export const EXIT = {
  ok: 0,
  sqlFailed: 1,
  usage: 2,
  verify: 3,
  lock: 4,
  connect: 5,
  sigint: 130,
  sigterm: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One thing wrong with the migrations folder or the recorded state. */
export interface Problem {
  /** Path of the file involved, relative to the working folder when possible. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** The revision id involved, when one is known. */
  revision?: string;
  /** Stable machine-readable code, e.g. `missing-parent-header`. */
  code: string;
  message: string;
  /** What the user can do about it. */
  hint?: string;
}

export interface ErrorDetails {
  hint?: string;
  file?: string;
  line?: number;
  revision?: string;
  /** Several problems reported at once (verify, file loading). */
  problems?: Problem[];
  /** Candidate revisions or heads the user can choose from. */
  candidates?: string[];
  /** Further facts for --json (e.g. the server's SQLSTATE, column, detail). */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

export class SqlrevError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint?: string;
  readonly file?: string;
  readonly line?: number;
  readonly revision?: string;
  readonly problems: Problem[];
  readonly candidates: string[];
  readonly extra: Record<string, unknown>;

  constructor(code: string, exitCode: ExitCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SqlrevError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = details.hint;
    this.file = details.file;
    this.line = details.line;
    this.revision = details.revision;
    this.problems = details.problems ?? [];
    this.candidates = details.candidates ?? [];
    this.extra = details.extra ?? {};
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      exitCode: this.exitCode,
      message: this.message,
      hint: this.hint,
      file: this.file,
      line: this.line,
      revision: this.revision,
      candidates: this.candidates.length ? this.candidates : undefined,
      problems: this.problems.length ? this.problems : undefined,
      ...this.extra,
    };
  }
}

/** Bad arguments, configuration, or a target that cannot be reached (exit 2). */
export function usageError(code: string, message: string, details?: ErrorDetails): SqlrevError {
  return new SqlrevError(code, EXIT.usage, message, details);
}

/** The folder, graph, headers or checksums are not as they must be (exit 3). */
export function verifyError(code: string, message: string, details?: ErrorDetails): SqlrevError {
  return new SqlrevError(code, EXIT.verify, message, details);
}
