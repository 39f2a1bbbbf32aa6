/**
 * How revisions become messages to the server (pure: no I/O). A
 * transactional revision is one simple-query message — BEGIN, its statements,
 * the session reset, its bookkeeping as literals, COMMIT — or, past
 * MESSAGE_CHARS, several. Consecutive small revisions go several to a message
 * (a batch), each still in its own transaction, so that a run of many quick
 * revisions is not one round trip each.
 */
import { splitSql, type Statement as SqlStatement } from './split.js';
import { deleteRevision, durationsOf, insertRevision, logAction, recordRevision, renderStatement, RESET_SESSION, type RevisionRecord, type ServerTiming, type Statement } from './state.js';
import { quoteLiteral } from './quote.js';

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
  /**
   * A down step read from the file of a revision the database records as
   * applied: mending that file is an edit `migrate rehash` must accept
   * (not so for a stored text whose file is gone, nor on a scratch database).
   */
  appliedFile?: true;
}

/** The statements a step sends, in order, for running and for `--sql`. */
export interface StepSql {
  statements: SqlStatement[];
  bookkeeping: Statement[];
}

/**
 * `timing`: how a transactional step is timed by the server (state.ts:
 * 'previous' for a revision after the first of a batch); ignored for a
 * `-- transaction: false` step, which sqlrev times.
 */
export function stepSql(schema: string, step: Step, timing: ServerTiming = 'message'): StepSql {
  // Split again rather than kept from precheck: holding every step's statements
  // for the whole run would make memory grow with the sum of the revisions.
  const statements = splitSql(step.text).statements;
  return { statements, bookkeeping: bookkeepingFor(schema, step, step.transactional ? timing : 0) };
}

/**
 * What records a step: inside its own transaction, one statement timed by
 * the server (`timing`); otherwise (a `-- transaction: false` step,
 * --single-transaction) the revision row, inserted for up or deleted for
 * down, and the log row, with the duration sqlrev measured.
 */
export function bookkeepingFor(schema: string, step: Step, timing: number | ServerTiming): Statement[] {
  if (typeof timing === 'string') return [recordRevision(schema, step.direction, step.record, timing)];
  const log = logAction(schema, step.direction, step.id, null, timing);
  return step.direction === 'up' ? [insertRevision(schema, step.record, 'up', timing), log] : [deleteRevision(schema, step.id), log];
}

/** The log row a `-- transaction: false` step commits before its first statement. */
export function startedRow(schema: string, step: Step, statements: SqlStatement[]): Statement {
  return logAction(schema, 'started', step.id, { direction: step.direction, file: step.file, statements: statements.map((s) => ({ line: s.line })) });
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

/**
 * The messages of a transactional revision, or undefined when a statement
 * would not end cleanly with a `;` (an unterminated string or comment would
 * swallow what follows it): such a revision is pipelined. A revision that fits
 * in `limit` is one message ending with its bookkeeping (as literals) and
 * COMMIT; a larger one sends its bookkeeping with parameters afterwards, so
 * its texts are never copied into an escaped literal.
 */
export function revisionMessages(schema: string, step: Step, limit = MESSAGE_CHARS, timing: ServerTiming = 'message'): RevisionMessages | undefined {
  const { statements, bookkeeping } = stepSql(schema, step, timing);
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
    let message = m === 0 ? openTransaction(step) : '';
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

export function statementsOf(layout: MessageLayout): SqlStatement[] {
  return layout.parts.flatMap((p) => (p.statement ? [p.statement] : []));
}

/**
 * The first statements of a revision's transaction. The application name
 * names the revision, so a DBA watching pg_stat_activity (or the server log,
 * with %a in log_line_prefix) sees which revision runs, even inside a batch,
 * where the query column shows only the batch's first kilobyte. SET LOCAL
 * ends with the transaction; the session reset restores it before the
 * bookkeeping anyway.
 */
export function openTransaction(step: Step): string {
  return `begin;\nset local application_name = ${quoteLiteral(`sqlrev ${step.direction} ${step.id}`)};\n`;
}

/** At most this many revisions go in one message. */
export const BATCH_MAX = 64;

/**
 * How long a message of several revisions is meant to run. Batches grow while
 * messages take less, so progress and cancelling stay prompt, and a slow
 * revision is soon sent on its own again.
 */
export const BATCH_TARGET_MS = 100;

/** How many revisions the next message may carry: one at first, then as many as ran within BATCH_TARGET_MS, at most doubling. */
export class Pacer {
  size = 1;

  /** `max`: at most this many revisions per message (`--batch`); 1 sends each alone. */
  constructor(private readonly max = BATCH_MAX) {}

  /** A message of `count` revisions took `elapsedMs`. */
  done(count: number, elapsedMs: number): void {
    const fit = Math.floor((count * BATCH_TARGET_MS) / Math.max(elapsedMs, 0.001));
    this.size = Math.min(this.ceiling(count), Math.max(1, fit));
  }

  /** The most revisions the message after one of `count` may carry, however fast that one is. */
  ceiling(count: number): number {
    return Math.max(1, Math.min(this.max, count * 2));
  }
}

/** Revisions in one message, each in its own transaction, followed (when there are several) by a query for their durations. */
export interface Batch {
  steps: Step[];
  message: string;
  /** Where each revision's text sits in the message; the read-back of durations comes after the last. */
  layouts: { start: number; layout: MessageLayout }[];
}

/**
 * The batch that starts at `steps[from]`: it and the transactional revisions
 * right after it, each one message on its own, at most `max` of them and
 * MESSAGE_CHARS in all. Undefined when `steps[from]` cannot go in a batch (it
 * runs outside a transaction, is larger than one message, or must be
 * pipelined): it then runs alone.
 */
export function batchFrom(schema: string, steps: readonly Step[], from: number, max: number, limit = MESSAGE_CHARS): Batch | undefined {
  const chosen: Step[] = [];
  const layouts: Batch['layouts'] = [];
  let message = '';
  for (let i = from; i < steps.length && chosen.length < Math.max(1, max); i++) {
    const step = steps[i];
    // Known without splitting it: a text longer than the room left cannot join,
    // and one longer than a message runs alone (runTransactional splits it).
    if (!step.transactional || step.text.length > limit - message.length) break;
    const plan = revisionMessages(schema, step, limit, chosen.length === 0 ? 'message' : 'previous');
    if (!plan || plan.count !== 1) break;
    const layout = plan.message(0);
    if (chosen.length > 0 && message.length + layout.message.length > limit) break;
    layouts.push({ start: message.length, layout });
    message += layout.message + '\n';
    chosen.push(step);
  }
  if (chosen.length === 0) return undefined;
  // One revision alone is timed by sqlrev, as it waits for it: no read-back.
  if (chosen.length === 1) return { steps: chosen, message, layouts };
  const readBack = durationsOf(schema, chosen[0].direction, chosen.map((s) => s.id));
  return { steps: chosen, message: message + renderStatement(readBack), layouts };
}
