/**
 * Executing revisions. A transactional revision is sent as one pipeline on
 * the connection: BEGIN, each statement as its own message, the session
 * reset, the bookkeeping rows, COMMIT — one round trip, and the first
 * statement that fails is known exactly (the ones after it are refused by the
 * server as "transaction aborted"). A `-- transaction: false` revision logs
 * 'started', runs statement by statement in autocommit, and is recorded
 * afterwards.
 */
import { EXIT, SqlrevError } from './errors.js';
import { errorCode, type Sql } from './db.js';
import { lineColumnAt, positionToOffset } from './position.js';
import { splitSql, type Statement as SqlStatement } from './split.js';
import { deleteRevision, insertRevision, logAction, renderStatement, RESET_SESSION, send, type RevisionRecord, type Statement } from './state.js';

export interface Step {
  id: string;
  direction: 'up' | 'down';
  /** Where the SQL comes from, for messages: a file path, or a note that the stored text is used. */
  file: string;
  /** The text to run (normalised). */
  text: string;
  transactional: boolean;
  /** The revision as it is recorded after `up`. */
  record: RevisionRecord;
}

export interface StepOutcome {
  id: string;
  direction: 'up' | 'down';
  durationMs: number;
}

/** The statements a step sends, in order, for running and for `--sql`. */
export interface StepSql {
  statements: SqlStatement[];
  bookkeeping: Statement[];
}

export function stepSql(schema: string, step: Step): StepSql {
  const statements = splitSql(step.text).statements;
  return { statements, bookkeeping: bookkeepingFor(schema, step, step.transactional ? 'transaction' : 0) };
}

/**
 * The rows that record a step: the revision row (inserted for up, deleted for
 * down) and its log row. `duration` is measured by sqlrev, or 'transaction'
 * for the server to measure from the start of the step's own transaction.
 */
function bookkeepingFor(schema: string, step: Step, duration: number | 'transaction'): Statement[] {
  const log = logAction(schema, step.direction, step.id, null, duration);
  return step.direction === 'up'
    ? [insertRevision(schema, step.record, 'up', duration === 'transaction' ? undefined : duration), log]
    : [deleteRevision(schema, step.id), log];
}

/** The log row a `-- transaction: false` step commits before its first statement. */
export function startedRow(schema: string, step: Step, statements: SqlStatement[]): Statement {
  return logAction(schema, 'started', step.id, { direction: step.direction, file: step.file, statements: statements.map((s) => ({ line: s.line })) });
}

/** Runs steps on one connection; `cancel()` interrupts whatever is running. */
export class Runner {
  private cancelled: 'SIGINT' | 'SIGTERM' | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
    private readonly cancelRunning: () => Promise<void> = async () => undefined,
    private readonly quietly: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {}

  /**
   * Cancel what is running: one cancel request to the server, which stops the
   * statement in progress (and so the transaction around it). Queries queued
   * behind it are not cancelled one by one: the server refuses them as part of
   * an aborted transaction, and the pipeline's COMMIT becomes a rollback.
   */
  cancel(reason: 'SIGINT' | 'SIGTERM' = 'SIGINT'): void {
    this.cancelled = reason;
    void this.cancelRunning().catch(() => undefined);
  }

  get interrupted(): boolean {
    return this.cancelled !== undefined;
  }

  /**
   * One revision in its own transaction, as ONE simple-query message:
   * BEGIN; its statements; the session reset; the bookkeeping rows (values as
   * literals); COMMIT. One round trip, as fast as a psql script. A server
   * error position maps back to the statement through the message layout; an
   * error without a position is located by `diagnose`.
   */
  async runTransactional(step: Step): Promise<StepOutcome> {
    const started = performance.now();
    const layout = revisionMessage(this.schema, step);
    if (!layout) return this.runPipelined(step, 'commit', started);
    try {
      await this.sql.unsafe(layout.message).simple();
      return { id: step.id, direction: step.direction, durationMs: performance.now() - started };
    } catch (err) {
      // The message's COMMIT never ran, or ended the transaction: roll back
      // whatever is left, without the server's warning when nothing is.
      await this.quietly(() => this.rollback());
      const code = errorCode(err);
      if (code === '57014' && this.cancelled) throw this.failure(err, step, undefined);
      const pos = Number((err as { position?: string }).position);
      if (Number.isFinite(pos) && pos > 0) {
        const at = positionToOffset(layout.message, pos);
        const part = layout.parts.find((p) => at >= p.start && at < p.end);
        if (part?.statement) {
          const statement = { ...part.statement, start: part.statement.start, text: part.statement.text };
          throw this.failure(withPosition(err, at - part.start + 1, part.statement.text), step, statement);
        }
        throw this.failure(err, step, undefined, part ? 'while recording the revision' : undefined);
      }
      if (!isServerCode(code)) throw this.failure(err, step, undefined);
      throw await this.diagnose(step, err);
    }
  }

  /**
   * The server gave no position (a runtime error: a constraint, a division by
   * zero): run the revision again statement by statement, pipelined, in a
   * transaction that is always rolled back, to learn which statement fails.
   */
  private async diagnose(step: Step, original: unknown): Promise<SqlrevError> {
    try {
      await this.runPipelined(step, 'rollback', performance.now());
    } catch (located) {
      return located as SqlrevError;
    }
    return this.failure(original, step, undefined, 'and did not fail again when sqlrev ran it once more to find the statement (rolled back)');
  }

  /**
   * The revision as a pipeline: BEGIN, each statement as its own message, the
   * reset, the bookkeeping, then COMMIT (or ROLLBACK, to diagnose). The first
   * statement that fails is known exactly; the server refuses the rest as
   * "transaction aborted". Used when the one-message form cannot be built.
   */
  private async runPipelined(step: Step, end: 'commit' | 'rollback', started: number): Promise<StepOutcome> {
    const { statements, bookkeeping } = stepSql(this.schema, step);
    const queries: Promise<unknown>[] = [this.sql.unsafe('begin').simple()];
    for (const s of statements) queries.push(this.sql.unsafe(s.text).simple());
    queries.push(this.sql.unsafe(RESET_SESSION).simple());
    for (const b of bookkeeping) queries.push(send(this.sql, b));
    // Deferred constraints are checked here when diagnosing, as COMMIT would.
    if (end === 'rollback') queries.push(this.sql.unsafe('set constraints all immediate').simple());
    queries.push(this.sql.unsafe(end).simple());
    const settled = await Promise.allSettled(queries);
    const failedAt = settled.findIndex((r) => r.status === 'rejected' && errorCode(r.reason) !== '25P02');
    if (failedAt === -1 && settled.every((r) => r.status === 'fulfilled')) {
      return { id: step.id, direction: step.direction, durationMs: performance.now() - started };
    }
    // No ROLLBACK is needed: the pipeline's last message ended the transaction
    // (an aborted transaction's COMMIT is a rollback, a failing COMMIT ends it).
    const index = failedAt === -1 ? settled.length - 1 : failedAt;
    const reason = (settled[index] as PromiseRejectedResult).reason;
    const statement = index >= 1 && index <= statements.length ? statements[index - 1] : undefined;
    const atEnd = end === 'commit' ? index === settled.length - 1 : index === settled.length - 2;
    const context = atEnd ? 'at commit (deferred constraints are checked there)' : index > statements.length ? 'while recording the revision' : undefined;
    throw this.failure(reason, step, statement, context);
  }

  /**
   * Statements of a `-- transaction: false` revision, one by one, then its
   * bookkeeping in a transaction. A 'started' log row is committed first: if
   * the run is killed part-way nothing more can be written, and that row is
   * the trace that some of the statements may have run.
   */
  async runAutocommit(step: Step): Promise<StepOutcome> {
    const started = performance.now();
    const { statements } = stepSql(this.schema, step);
    const ran: SqlStatement[] = [];
    await send(this.sql, startedRow(this.schema, step, statements)).catch((err: unknown) => {
      throw this.failure(err, step, undefined, 'before its first statement ran', ran);
    });
    for (const s of statements) {
      try {
        await this.sql.unsafe(s.text).simple();
      } catch (err) {
        const failure = this.failure(err, step, s, undefined, ran);
        await this.logFailure(step, failure, ran, s);
        throw failure;
      }
      ran.push(s);
    }
    const durationMs = performance.now() - started;
    const bookkeeping = bookkeepingFor(this.schema, step, durationMs);
    try {
      await this.inTransaction([RESET_SESSION], bookkeeping);
    } catch (err) {
      // Every statement ran, but the revision is not recorded: say so.
      const failure = this.failure(err, step, undefined, 'while recording the revision', ran);
      await this.logFailure(step, failure, ran);
      throw failure;
    }
    return { id: step.id, direction: step.direction, durationMs };
  }

  /** For --single-transaction: the step's statements and bookkeeping, inside the caller's transaction. */
  async runInOuterTransaction(step: Step): Promise<StepOutcome> {
    const started = performance.now();
    const { statements } = stepSql(this.schema, step);
    const queries = statements.map((s) => this.sql.unsafe(s.text).simple());
    const settled = await Promise.allSettled(queries);
    const failedAt = settled.findIndex((r) => r.status === 'rejected' && errorCode(r.reason) !== '25P02');
    if (failedAt !== -1) throw this.failure((settled[failedAt] as PromiseRejectedResult).reason, step, statements[failedAt]);
    const durationMs = performance.now() - started;
    const bookkeeping = bookkeepingFor(this.schema, step, durationMs);
    await this.sql.unsafe(RESET_SESSION).simple();
    for (const b of bookkeeping) await send(this.sql, b);
    return { id: step.id, direction: step.direction, durationMs };
  }

  /** Run bookkeeping statements atomically. */
  async inTransaction(simple: string[], statements: Statement[]): Promise<void> {
    const queries: Promise<unknown>[] = [this.sql.unsafe('begin').simple()];
    for (const s of simple) queries.push(this.sql.unsafe(s).simple());
    for (const s of statements) queries.push(send(this.sql, s));
    queries.push(this.sql.unsafe('commit').simple());
    const settled = await Promise.allSettled(queries);
    // As in runTransactional, the trailing COMMIT has ended the transaction.
    const failed = settled.find((r) => r.status === 'rejected' && errorCode(r.reason) !== '25P02')
      ?? settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** End the --single-transaction transaction after a failure. */
  async rollback(): Promise<void> {
    try {
      await this.sql.unsafe('rollback').simple();
    } catch { /* the connection may be gone; the server rolls back on its own then */ }
  }

  /** Record a failure in the log, in its own transaction; a broken connection only loses the log row. */
  async logFailure(step: Step | undefined, failure: SqlrevError, ran: SqlStatement[] = [], at?: SqlStatement): Promise<void> {
    const detail = {
      direction: step?.direction ?? null,
      file: step?.file ?? null,
      line: failure.line ?? null,
      error: failure.message,
      sqlstate: (failure as SqlFailure).sqlstate ?? null,
      transactional: step?.transactional ?? true,
      statements_run: ran.map((s) => ({ line: s.line })),
      failed_statement_line: at?.line ?? null,
    };
    try {
      await this.inTransaction([RESET_SESSION], [logAction(this.schema, 'failed', step?.id ?? null, detail)]);
    } catch { /* nothing more can be done; the error itself is reported */ }
  }

  private failure(err: unknown, step: Step, statement: SqlStatement | undefined, context?: string, ran?: SqlStatement[]): SqlrevError {
    if (errorCode(err) === '57014' && this.cancelled) {
      const done = ran === undefined
        ? 'its transaction was rolled back'
        : ran.length
          ? `it runs outside a transaction: ${ran.length} statement(s) before the interrupted one already ran and stay done (lines ${ran.map((s) => s.line).join(', ')}); the revision is not recorded, so the next run starts it again — its statements should be safe to repeat`
          : 'it runs outside a transaction; no statement of it had completed, and it is not recorded';
      return new SqlrevError('interrupted', this.cancelled === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint, `interrupted while running ${step.direction} of ${step.id}; ${done}`, { revision: step.id, file: step.file, line: statement?.line });
    }
    return sqlFailure(err, step, statement, context, ran);
  }
}

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
  const isServerError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
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
    parts.push(`this revision runs outside a transaction: ${ran.length} statement(s) before it already ran and stay done (lines ${ran.map((s) => s.line).join(', ')}); the revision is not recorded, so the next run starts it again — its statements should be safe to repeat (IF NOT EXISTS, …)`);
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

/** Where each statement sits in a revision's one-message form. */
export interface MessageLayout {
  message: string;
  parts: { start: number; end: number; statement?: SqlStatement }[];
}

/**
 * The one-message form of a transactional revision, or undefined when a
 * statement would not end cleanly with a `;` (an unterminated string or
 * comment would swallow what follows it): such a revision is pipelined.
 */
export function revisionMessage(schema: string, step: Step): MessageLayout | undefined {
  const { statements, bookkeeping } = stepSql(schema, step);
  let message = 'begin;\n';
  const parts: MessageLayout['parts'] = [{ start: 0, end: message.length }];
  for (const statement of statements) {
    const text = statement.terminated ? statement.text : statement.text + ';';
    if (!statement.terminated) {
      const check = splitSql(text).statements;
      if (check.length !== 1 || !check[0].terminated) return undefined;
    }
    parts.push({ start: message.length, end: message.length + text.length, statement });
    message += text + '\n';
  }
  const tail = [RESET_SESSION + ';', ...bookkeeping.map(renderStatement), 'commit;'].join('\n');
  parts.push({ start: message.length, end: message.length + tail.length });
  message += tail;
  return { message, parts };
}

function isServerCode(code: string | undefined): boolean {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** The error with its position made relative to the statement (1-based, in characters). */
function withPosition(err: unknown, offsetInStatement: number, text: string): unknown {
  const chars = [...text.slice(0, Math.max(0, offsetInStatement - 1))].length + 1;
  return Object.assign(Object.create(Object.getPrototypeOf(err)), err, { position: String(chars), message: (err as Error).message });
}
