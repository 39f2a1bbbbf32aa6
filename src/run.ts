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
  // Split again rather than kept from precheck: holding every step's statements
  // for the whole run would make memory grow with the sum of the revisions.
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
   * literals); COMMIT. One round trip, as fast as a psql script. A revision
   * larger than MESSAGE_CHARS goes as several messages in that transaction
   * (see revisionMessages). A server error position maps back to the
   * statement through the message layout; an error without a position is
   * located by `diagnose`.
   */
  async runTransactional(step: Step): Promise<StepOutcome> {
    const started = performance.now();
    const plan = revisionMessages(this.schema, step);
    if (!plan) return this.runPipelined(step, 'commit', started);
    let sent = 0;
    let layout: MessageLayout | undefined;
    try {
      for (; sent < plan.count; sent++) {
        layout = plan.message(sent);
        await this.sql.unsafe(layout.message).simple();
      }
      layout = undefined;
    } catch (err) {
      // The message's COMMIT never ran, or ended the transaction: roll back
      // whatever is left, without the server's warning when nothing is.
      await this.quietly(() => this.rollback());
      const code = errorCode(err);
      if (code === '57014' && this.cancelled) throw this.failure(err, step, undefined);
      if (!layout) throw err;
      const pos = Number((err as { position?: string }).position);
      if (Number.isFinite(pos) && pos > 0) {
        const at = positionToOffset(layout.message, pos);
        const part = layout.parts.find((p) => at >= p.start && at < p.end);
        if (part?.statement) throw this.failure(withPosition(err, at - part.start + 1, part.statement.text), step, part.statement);
        throw this.failure(err, step, undefined, part ? 'while recording the revision' : undefined);
      }
      if (!isServerCode(code)) throw this.failure(err, step, undefined);
      throw await this.diagnose(step, err, plan.count === 1 ? undefined : { plan, failed: sent, suspects: statementsOf(layout) });
    }
    if (plan.after.length) await this.finish(step, plan.after);
    return { id: step.id, direction: step.direction, durationMs: performance.now() - started };
  }

  /** The end of a multi-message revision: the reset, the bookkeeping with parameters, COMMIT. */
  private async finish(step: Step, bookkeeping: Statement[]): Promise<void> {
    // One query at a time, the values as parameters: the texts are not copied
    // into escaped literals, and with nothing piped behind a query with
    // parameters, postgres.js has nothing to hold back (see send()).
    const queries: [string, unknown[]][] = [[RESET_SESSION, []], ...bookkeeping.map((b): [string, unknown[]] => [b.text, b.params]), ['commit', []]];
    for (const [i, [text, params]] of queries.entries()) {
      try {
        await (params.length ? this.sql.unsafe(text, params as never[]) : this.sql.unsafe(text).simple());
      } catch (err) {
        await this.quietly(() => this.rollback());
        throw this.failure(err, step, undefined, i === queries.length - 1 ? 'at commit (deferred constraints are checked there)' : 'while recording the revision');
      }
    }
  }

  /**
   * The server gave no position (a runtime error: a constraint, a division by
   * zero): run the revision again statement by statement, pipelined, in a
   * transaction that is always rolled back, to learn which statement fails.
   * For a multi-message revision, the messages before the failing one are
   * replayed as they were and only the failing message's statements are
   * pipelined, so memory stays bounded by one message.
   */
  private async diagnose(step: Step, original: unknown, part?: Part): Promise<SqlrevError> {
    try {
      await this.runPipelined(step, 'rollback', performance.now(), part);
    } catch (located) {
      if (located instanceof SqlrevError) return located;
    }
    return this.failure(original, step, undefined, 'and did not fail again when sqlrev ran it once more to find the statement (rolled back)');
  }

  /**
   * The revision as a pipeline: BEGIN, each statement as its own message, the
   * reset, the bookkeeping, then COMMIT (or ROLLBACK, to diagnose). The first
   * statement that fails is known exactly; the server refuses the rest as
   * "transaction aborted". Used when the one-message form cannot be built,
   * and to diagnose: then, for a multi-message revision, the messages before
   * the failing one run again as they are and only its statements are pipelined.
   */
  private async runPipelined(step: Step, end: 'commit' | 'rollback', started: number, part?: Part): Promise<StepOutcome> {
    const whole = stepSql(this.schema, step);
    const statements = part ? part.suspects : whole.statements;
    const bookkeeping = part ? [] : whole.bookkeeping;
    for (let m = 0; m < (part?.failed ?? 0); m++) await this.sql.unsafe(part!.plan.message(m).message).simple();
    const queries: Promise<unknown>[] = part?.failed ? [] : [this.sql.unsafe('begin').simple()];
    const first = queries.length;
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
    const statement = index >= first && index < first + statements.length ? statements[index - first] : undefined;
    const atEnd = end === 'commit' ? index === settled.length - 1 : index === settled.length - 2;
    const context = atEnd ? 'at commit (deferred constraints are checked there)' : index >= first + statements.length ? 'while recording the revision' : undefined;
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
    // Pipelined in batches, so a file of a million statements never has a
    // million queries waiting in memory at once.
    for (let from = 0; from < statements.length; from += PIPELINE_BATCH) {
      const batch = statements.slice(from, from + PIPELINE_BATCH);
      const settled = await Promise.allSettled(batch.map((s) => this.sql.unsafe(s.text).simple()));
      const failedAt = settled.findIndex((r) => r.status === 'rejected' && errorCode(r.reason) !== '25P02');
      if (failedAt !== -1) throw this.failure((settled[failedAt] as PromiseRejectedResult).reason, step, batch[failedAt]);
    }
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

/** Where each statement sits in one message of a revision. */
export interface MessageLayout {
  message: string;
  parts: { start: number; end: number; statement?: SqlStatement }[];
}

/** How a transactional revision is sent: its messages, then (when not inside the last message) its bookkeeping. */
export interface RevisionMessages {
  count: number;
  /** Message `i`, built on demand so that only one is held in memory at a time. */
  message(i: number): MessageLayout;
  /** Sent after the messages with parameters, between the reset and COMMIT; empty when the last message carries them. */
  after: Statement[];
}

/**
 * Above this many characters of SQL a revision is cut into several messages
 * (at statement boundaries), so neither sqlrev nor the server ever holds more
 * than about this much of it parsed at once: a server parses a whole message
 * before running any of it, and a 100 MB message of INSERTs took 1.5 GB of
 * server memory (docs/reliability.md).
 */
export const MESSAGE_CHARS = 1 << 20;

/** Statements pipelined at once inside --single-transaction. */
const PIPELINE_BATCH = 1000;

/**
 * The messages of a transactional revision, or undefined when a statement
 * would not end cleanly with a `;` (an unterminated string or comment would
 * swallow what follows it): such a revision is pipelined. A revision that fits
 * in `limit` is one message ending with its bookkeeping (as literals) and
 * COMMIT; a larger one sends its bookkeeping with parameters afterwards, so
 * its texts are never copied into an escaped literal.
 */
export function revisionMessages(schema: string, step: Step, limit = MESSAGE_CHARS): RevisionMessages | undefined {
  const { statements, bookkeeping } = stepSql(schema, step);
  const texts: string[] = [];
  const starts = [0]; // message i holds statements starts[i] .. starts[i+1]-1
  let size = 0;
  for (const [i, statement] of statements.entries()) {
    const text = statement.terminated ? statement.text : statement.text + ';';
    if (!statement.terminated) {
      const check = splitSql(text).statements;
      if (check.length !== 1 || !check[0].terminated) return undefined;
    }
    if (size + text.length > limit && i > starts[starts.length - 1]) {
      starts.push(i);
      size = 0;
    }
    texts.push(text);
    size += text.length + 1;
  }
  starts.push(statements.length);
  const count = starts.length - 1;
  const message = (m: number): MessageLayout => {
    let message = m === 0 ? 'begin;\n' : '';
    const parts: MessageLayout['parts'] = m === 0 ? [{ start: 0, end: message.length }] : [];
    for (let i = starts[m]; i < starts[m + 1]; i++) {
      parts.push({ start: message.length, end: message.length + texts[i].length, statement: statements[i] });
      message += texts[i] + '\n';
    }
    if (count > 1) return { message, parts };
    const tail = [RESET_SESSION + ';', ...bookkeeping.map(renderStatement), 'commit;'].join('\n');
    parts.push({ start: message.length, end: message.length + tail.length });
    return { message: message + tail, parts };
  };
  return { count, message, after: count > 1 ? bookkeeping : [] };
}

/** The failing message of a multi-message revision, for `diagnose`. */
interface Part {
  plan: RevisionMessages;
  failed: number;
  suspects: SqlStatement[];
}

function statementsOf(layout: MessageLayout): SqlStatement[] {
  return layout.parts.flatMap((p) => (p.statement ? [p.statement] : []));
}

function isServerCode(code: string | undefined): boolean {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** The error with its position made relative to the statement (1-based, in characters). */
function withPosition(err: unknown, offsetInStatement: number, text: string): unknown {
  const chars = [...text.slice(0, Math.max(0, offsetInStatement - 1))].length + 1;
  return Object.assign(Object.create(Object.getPrototypeOf(err)), err, { position: String(chars), message: (err as Error).message });
}
