/**
 * Executing revisions on one connection. Transactional revisions go as
 * simple-query messages built in messages.ts: a run of small ones several to
 * a message (runBatch), a large one as its own message or messages
 * (runTransactional). A server error's position maps back to the statement
 * and file line through the message's layout; an error without a position is
 * located by running the revision once more, rolled back. A `-- transaction:
 * false` revision logs 'started', runs statement by statement in autocommit,
 * and is recorded afterwards. The errors a user then sees are made in
 * src/failure.ts.
 */
import { EXIT, SqlrevError } from './errors.js';
import { errorCode, isServerCode, type Sql } from './db.js';
import { batchLost, sqlFailure, withPosition, type SqlFailure } from './failure.js';
import { positionToOffset } from './position.js';
import type { Statement as SqlStatement } from './split.js';
import { bookkeepingFor, revisionMessages, startedRow, statementsOf, stepSql, type Batch, type MessageLayout, type RevisionMessages, type Step } from './messages.js';
import { logAction, recordedAmong, RESET_SESSION, send, type Statement } from './state.js';

export type { Step } from './messages.js';

export interface StepOutcome {
  id: string;
  direction: 'up' | 'down';
  /** Unknown for a revision of a batch whose read-back of durations did not arrive. */
  durationMs?: number;
}

/** A failure inside a batch: the revisions before the failing one committed and stay applied. */
export type BatchFailure = SqlrevError & { completed: StepOutcome[] };

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
      if (Number.isFinite(pos) && pos > 0) throw this.failureAt(err, step, layout, positionToOffset(layout.message, pos));
      if (!isServerCode(code)) throw this.failure(err, step, undefined);
      throw await this.diagnose(step, err, plan.count === 1 ? undefined : { plan, failed: sent, suspects: statementsOf(layout) });
    }
    if (plan.after.length) await this.finish(step, plan.after);
    return { id: step.id, direction: step.direction, durationMs: performance.now() - started };
  }

  /**
   * Several small revisions as one message (messages.ts: batchFrom), each in
   * its own transaction, then a read-back of their server-measured durations.
   * When one fails, the server skips the rest of the message: the revisions
   * before it committed and stay applied, as they would one message at a
   * time, and the error (a BatchFailure) lists them.
   */
  async runBatch(batch: Batch): Promise<StepOutcome[]> {
    const started = performance.now();
    let result: unknown;
    try {
      result = await this.sql.unsafe(batch.message).simple();
    } catch (err) {
      await this.quietly(() => this.rollback());
      const at = await this.failingRevision(batch, err);
      const outcome = (s: Step): StepOutcome => ({ id: s.id, direction: s.direction });
      // Past the last revision: only the read-back failed, and every revision committed.
      if (at.index === batch.steps.length) return batch.steps.map(outcome);
      const failure = await this.locate(batch, at.index, at.offset, err);
      throw Object.assign(failure, { completed: batch.steps.slice(0, at.index).map(outcome) }) as BatchFailure;
    }
    if (batch.steps.length === 1) return [{ id: batch.steps[0].id, direction: batch.steps[0].direction, durationMs: performance.now() - started }];
    const ms = new Map(readBack(result).map((r) => [String(r.sqlrev_revision), Number(r.sqlrev_ms)]));
    return batch.steps.map((s) => ({ id: s.id, direction: s.direction, durationMs: ms.get(s.id) }));
  }

  /**
   * Which revision of a batch failed: the one the server's error position
   * falls in, else the first whose record did not change (the others
   * committed: the lock keeps other runners out). When the connection is
   * lost, nothing can be asked: the first is named, and the error says that
   * any of them may have committed.
   */
  private async failingRevision(batch: Batch, err: unknown): Promise<{ index: number; offset?: number }> {
    if (!isServerCode(errorCode(err))) return { index: 0 };
    const pos = Number((err as { position?: string }).position);
    if (Number.isFinite(pos) && pos > 0) {
      const offset = positionToOffset(batch.message, pos);
      let index = 0;
      while (index < batch.layouts.length && offset >= batch.layouts[index].start + batch.layouts[index].layout.message.length) index++;
      return { index, offset };
    }
    const recorded = new Set((await send(this.sql, recordedAmong(this.schema, batch.steps.map((s) => s.id)))).map((r) => String(r.id)));
    const index = batch.steps.findIndex((s) => recorded.has(s.id) !== (s.direction === 'up'));
    return { index: index === -1 ? batch.steps.length : index };
  }

  /** The error of revision `index` of a batch, located at its statement and file line as runTransactional would. */
  private async locate(batch: Batch, index: number, offset: number | undefined, err: unknown): Promise<SqlrevError> {
    const step = batch.steps[index];
    const code = errorCode(err);
    if (!isServerCode(code)) return batch.steps.length > 1 ? batchLost(err, batch.steps) : this.failure(err, step, undefined);
    if (code === '57014' && this.cancelled) return this.failure(err, step, undefined);
    if (offset !== undefined) {
      const { start, layout } = batch.layouts[index];
      return this.failureAt(err, step, layout, offset - start);
    }
    return this.diagnose(step, err);
  }

  /** The error at `at` (in characters) in a message of `step`: its statement, or the bookkeeping around it. */
  private failureAt(err: unknown, step: Step, layout: MessageLayout, at: number): SqlrevError {
    const part = layout.parts.find((p) => at >= p.start && at < p.end);
    if (part?.statement) return this.failure(withPosition(err, at - part.start + 1, part.statement.text), step, part.statement);
    return this.failure(err, step, undefined, part ? 'while recording the revision' : undefined);
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

/** Statements pipelined at once inside --single-transaction. */
const PIPELINE_BATCH = 1000;

/** The failing message of a multi-message revision, for `diagnose`. */
interface Part {
  plan: RevisionMessages;
  failed: number;
  suspects: SqlStatement[];
}

/** The rows of a batch's read-back: the last result of the message, the only one with these columns. */
function readBack(result: unknown): Record<string, unknown>[] {
  const results = (Array.isArray(result) ? result : []) as unknown[];
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i] as { columns?: { name: string }[] } & Record<string, unknown>[];
    if (r?.columns?.some((c) => c.name === 'sqlrev_ms')) return [...r];
  }
  return [];
}
