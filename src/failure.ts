/**
 * What a user sees when SQL fails while running revisions: the file, line
 * and column of the failing statement with a caret under it, the server's
 * code, message, detail and hint, and what stays done and what a rerun
 * does when the connection is lost. Built by src/run.ts and src/engine.ts.
 */
import { errorCode, isServerCode, stateError } from './db.js';
import { EXIT, SqlrevError } from './errors.js';
import type { Step } from './messages.js';
import { lineColumnAt, positionToOffset } from './position.js';
import type { Statement as SqlStatement } from './split.js';

export interface SqlFailure extends SqlrevError {
  sqlstate?: string;
  column?: number;
  excerpt?: string;
}

/**
 * The error a user sees when a revision's SQL fails: file, line and column
 * (from the server's position, else the statement's first line), the line
 * with a caret, and the server's code, message, detail and hint.
 */
export function sqlFailure(err: unknown, step: Step, statement: SqlStatement | undefined, context?: string, ran?: SqlStatement[]): SqlFailure {
  const e = err as { message?: string; code?: string; detail?: string; hint?: string; position?: string; where?: string; severity?: string };
  const code = errorCode(err);
  const isServerError = isServerCode(code);
  let line: number | undefined;
  let column: number | undefined;
  let excerpt: string | undefined;
  if (statement) {
    const pos = Number(e.position);
    const offset = Number.isFinite(pos) && pos > 0 ? statement.start + positionToOffset(statement.text, pos) : statement.start;
    const at = lineColumnAt(step.text, offset);
    line = at.line;
    column = at.column;
    excerpt = `${String(at.line).padStart(5)} | ${at.lineText}\n      | ${' '.repeat(Math.max(0, at.column - 1))}^`;
  }
  const parts = [
    `${step.direction} of ${step.id} failed${context ? ` ${context}` : ''}: ${e.message ?? String(err)}${isServerError ? ` (SQLSTATE ${code})` : ''}`,
  ];
  if (excerpt) parts.push(excerpt);
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.where) parts.push(`context: ${e.where}`);
  if (ran && ran.length) {
    // A lost connection may have lost only the answer to the bookkeeping's COMMIT.
    const recorded = isServerError ? 'the revision is not recorded, so the next run starts it again' : 'unless its record committed before the connection was lost (migrate status shows which), the next run starts it again';
    parts.push(`this revision runs outside a transaction: ${ran.length} statement(s) before it already ran and stay done (lines ${ran.map((s) => s.line).join(', ')}); ${recorded} — its statements should be safe to repeat (IF NOT EXISTS, …)`);
  }
  const failure = new SqlrevError(isServerError ? 'sql-failed' : 'connection-lost', isServerError ? EXIT.sqlFailed : EXIT.connect, parts.join('\n'), {
    file: step.file, line, revision: step.id,
    // A lost connection may have lost only the answer: the COMMIT may have run.
    hint: e.hint ?? (isServerError ? undefined : ran === undefined
      ? 'the connection to the server was lost: the revision committed together with its record or not at all (migrate status shows which); rerunning is safe'
      : 'the connection to the server was lost: the statements that ran stay done; unless its record committed (migrate status shows which), the next run starts this revision again'),
    extra: { sqlstate: isServerError ? code : undefined, column, detail: e.detail, serverHint: e.hint, context: e.where, statementsRun: ran?.map((s) => s.line) },
    cause: err,
  }) as SqlFailure;
  failure.sqlstate = code;
  failure.column = column;
  failure.excerpt = excerpt;
  return failure;
}

/** The final COMMIT of --single-transaction failed: deferred constraints of any revision are checked there. */
export function commitFailure(err: unknown, revisions: number): SqlrevError {
  const e = err as { message?: string; detail?: string; hint?: string };
  const code = errorCode(err);
  if (!isServerCode(code)) return stateError(err, '');
  const failure: SqlFailure = new SqlrevError('sql-failed', EXIT.sqlFailed, `the final commit of --single-transaction failed, so none of the ${revisions} revision(s) was applied: ${e.message ?? String(err)} (SQLSTATE ${code})${e.detail ? `\ndetail: ${e.detail}` : ''}`, {
    hint: e.hint ?? 'deferred constraints are checked at commit: the detail names the rows involved', cause: err,
  });
  failure.sqlstate = code;
  return failure;
}

/** The connection was lost while a message of several revisions ran: any of them may have committed. */
export function batchLost(err: unknown, steps: readonly Step[]): SqlrevError {
  const ids = steps.map((s) => s.id);
  return new SqlrevError('connection-lost', EXIT.connect, `the connection to the server was lost while one message of ${ids.length} revisions ran (${ids.join(', ')}): ${(err as Error).message ?? String(err)}`, {
    file: steps[0].file, revision: steps[0].id,
    hint: 'each of them committed together with its record or not at all, in order (migrate status shows how far it got); rerunning is safe',
    cause: err,
  });
}

/** The error with its position made relative to the statement (1-based, in characters). */
export function withPosition(err: unknown, offsetInStatement: number, text: string): unknown {
  const chars = [...text.slice(0, Math.max(0, offsetInStatement - 1))].length + 1;
  return Object.assign(Object.create(Object.getPrototypeOf(err)), err, { position: String(chars), message: (err as Error).message });
}
