/**
 * `up` and `down` as library functions that return data. The shape: load and
 * check the folder, connect, lock, read state, check checksums, plan, run —
 * then, always, unlock and close (session.ts). Nothing here prints: callers
 * pass hooks and render results.
 */
import { errorCode, stateError } from './db.js';
import { SqlrevError, usageError } from './errors.js';
import { commitFailure } from './failure.js';
import { planDown, planUp, type Plan } from './plan.js';
import type { Project } from './project.js';
import { stateUpgrades, renderStatement, RESET_SESSION, type State } from './state.js';
import { parseTarget } from './target.js';
import { batchFrom, openTransaction, Pacer, startedRow, stepSql, type Batch } from './messages.js';
import type { BatchFailure, Runner, Step, StepOutcome } from './run.js';
import { checkDrift, checkState, graphWithState, headerFacts, loadSound, precheck, recordOf } from './checks.js';
import { interrupted, withDefaults, withLockedSession, withReadSession, type DbOptions, type Resolved, type Session } from './session.js';

// The other database commands, so that one lazy import serves the CLI.
export * from './session.js';
export * from './checks.js';
export * from './stamp.js';
export * from './inspect.js';

export interface RunOptions extends DbOptions {
  target?: string;
  dryRun?: boolean;
  /** Produce the SQL that would run instead of running it. */
  sql?: boolean;
  singleTransaction?: boolean;
  /** At most this many small revisions per message (default BATCH_MAX, 64); 1 sends each revision alone. */
  batch?: number;
  skipVerify?: boolean;
  /** A folder for a pg_dump taken before anything is applied. */
  backup?: string;
}

export interface StepReport {
  id: string;
  message: string;
  direction: 'up' | 'down';
  /** 'unknown': the connection was lost while its message ran; it committed with its record or not at all (status shows which). */
  status: 'done' | 'failed' | 'not-run' | 'planned' | 'unknown';
  durationMs?: number;
  file: string;
}

export interface RunResult {
  direction: 'up' | 'down';
  target: string;
  steps: StepReport[];
  /** The SQL script, with --sql. */
  sql?: string;
  dryRun: boolean;
  database: string;
  /** The dump written by --backup. */
  backupFile?: string;
}
function buildSteps(project: Project, state: State, plan: Plan): Step[] {
  return plan.steps.map((id): Step => {
    const rev = project.revisions.get(id);
    if (plan.direction === 'up') {
      if (!rev) throw new Error(`planned revision ${id} has no files`);
      return { id, direction: 'up', file: rev.up.path, text: rev.up.text, transactional: rev.up.transactional, record: recordOf(rev) };
    }
    const row = state.rows.get(id)!;
    if (rev) return { id, direction: 'down', file: rev.down.path, text: rev.down.text, transactional: rev.down.transactional, record: recordOf(rev), appliedFile: true };
    const facts = headerFacts(row.downText, row.downPath ?? id);
    return { id, direction: 'down', file: `${row.downPath ?? id} (stored text; the file is gone)`, text: row.downText, transactional: facts.transactional, record: row };
  });
}
/** A lost connection is exit 5 wherever it happens (stateError), a server's refusal 1. */
function asFailure(err: unknown, schema: string): SqlrevError {
  return err instanceof SqlrevError ? err : stateError(err, schema);
}

// ---------------------------------------------------------------- up and down

export async function up(options: RunOptions): Promise<RunResult> {
  return migrate('up', withDefaults(options));
}

export async function down(options: RunOptions): Promise<RunResult> {
  if (!options.target) {
    throw usageError('missing-target', 'down needs a target: rolling back is never implicit', { hint: 'e.g. migrate down -1, migrate down <id>, or migrate down base' });
  }
  return migrate('down', withDefaults(options));
}

async function migrate(direction: 'up' | 'down', options: Resolved<RunOptions>): Promise<RunResult> {
  const hooks = options.hooks ?? {};
  const target = options.target ?? 'head';
  const expr = parseTarget(target);
  const project = await loadSound(options.dir);
  // With the files, the state is read without the texts of unedited revisions (state.ts).
  options = { ...options, files: project.revisions };
  const readOnly = Boolean(options.dryRun || options.sql);

  const plan = async (session: Session, state: State, runner?: Runner): Promise<RunResult> => {
    const graph = graphWithState(project, state.rows);
    checkState(graph, state);
    checkDrift(project, state, hooks, Boolean(options.skipVerify));
    const applied = new Set(state.rows.keys());
    const p = direction === 'up' ? planUp(graph, applied, expr) : planDown(graph, applied, expr);
    const steps = buildSteps(project, state, p);
    precheck(steps, Boolean(options.singleTransaction));
    hooks.debug?.(`plan for ${direction} ${target}: ${steps.map((s) => `${s.id}${s.transactional ? '' : ' (outside a transaction)'}`).join(', ') || 'nothing'}`);
    const report = (s: Step, status: StepReport['status'], durationMs?: number): StepReport => ({
      id: s.id, message: project.revisions.get(s.id)?.message ?? state.rows.get(s.id)?.message ?? '', direction, status, durationMs, file: s.file,
    });
    const base = { direction, target, dryRun: readOnly, database: session.conn.where };
    if (options.sql) return { ...base, steps: steps.map((s) => report(s, 'planned')), sql: renderScript(options.schema, steps, Boolean(options.singleTransaction), state) };
    if (options.dryRun || !runner) return { ...base, steps: steps.map((s) => report(s, 'planned')) };
    if (options.backup && steps.length > 0) {
      const { backup } = await import('./backup.js');
      const backupFile = await backup(session.url, options.backup, `${direction}-${steps[0].id}`);
      hooks.info?.(`backup written: ${backupFile}`);
      Object.assign(base, { backupFile });
    }
    const reports = steps.map((s) => report(s, 'not-run'));
    let current = -1;
    let committing = false;
    const pacer = new Pacer(options.batch);
    const done = (i: number, outcome: StepOutcome) => {
      reports[i] = report(steps[i], 'done', outcome.durationMs);
      hooks.stepDone?.(i + 1, steps.length, outcome);
    };
    // The next message, laid out while the server runs the one before it.
    let ahead: { from: number; batch: Batch | undefined } | undefined;
    try {
      if (options.singleTransaction) await session.conn.sql.unsafe('begin').simple();
      for (let i = 0; i < steps.length;) {
        current = i;
        if (options.signal?.aborted) throw interrupted(options.signal);
        const step = steps[i];
        // Laid out for the largest size the pacer could choose; when it chose less, again.
        const batch = options.singleTransaction ? undefined
          : ahead && ahead.from === i && (ahead.batch?.steps.length ?? 0) <= pacer.size ? ahead.batch
          : batchFrom(options.schema, steps, i, pacer.size);
        ahead = undefined;
        hooks.stepStart?.(i + 1, steps.length, step, batch?.steps.length ?? 1);
        if (batch && batch.steps.length > 1) hooks.debug?.(`one message for ${batch.steps.length} revisions: ${batch.steps[0].id} … ${batch.steps[batch.steps.length - 1].id}`);
        if (batch) {
          const started = performance.now();
          let outcomes: StepOutcome[];
          try {
            const running = runner.runBatch(batch);
            const next = i + batch.steps.length;
            const preparing = next < steps.length ? layOutLater(options.schema, steps, next, pacer.ceiling(batch.steps.length)) : undefined;
            outcomes = await running;
            const laid = await preparing;
            if (laid) ahead = { from: next, batch: laid.batch };
          } catch (err) {
            // The revisions before the failing one committed: report them so.
            for (const outcome of (err as Partial<BatchFailure>).completed ?? []) done(current++, outcome);
            if (errorCode(err) === 'connection-lost') for (let k = i; k < i + batch.steps.length; k++) reports[k].status = 'unknown';
            throw err;
          }
          pacer.done(outcomes.length, performance.now() - started);
          for (const outcome of outcomes) done(i++, outcome);
          continue;
        }
        done(i++, options.singleTransaction
          ? await runner.runInOuterTransaction(step)
          : step.transactional ? await runner.runTransactional(step) : await runner.runAutocommit(step));
      }
      if (options.singleTransaction) {
        committing = true;
        await session.conn.sql.unsafe('commit').simple();
      }
    } catch (err) {
      let failure: SqlrevError;
      if (options.singleTransaction) {
        // A failing COMMIT has ended the transaction already; otherwise end it here.
        if (!committing) await runner.rollback();
        for (const r of reports) if (r.status === 'done') r.status = 'not-run';
        failure = committing ? commitFailure(err, steps.length) : asFailure(err, options.schema);
        if (!committing) reports[current].status = 'failed';
        await runner.logFailure(committing ? undefined : steps[current], failure);
      } else {
        failure = asFailure(err, options.schema);
        if (current >= 0 && reports[current].status === 'not-run') reports[current].status = failure.code === 'connection-lost' && steps[current].transactional ? 'unknown' : 'failed';
        // Autocommit steps log their own failure (with the statements that ran).
        const step = steps[current];
        if (step?.transactional) await runner.logFailure(step, failure);
      }
      (failure as SqlrevError & { result?: RunResult }).result = { ...base, steps: reports };
      throw failure;
    }
    return { ...base, steps: reports };
  };

  if (readOnly) return withReadSession(options, (session, state) => plan(session, state));
  return withLockedSession(options, plan);
}

/**
 * batchFrom on a later turn of the event loop: after postgres.js has sent
 * the message just handed to it (it sends a short one from a setImmediate),
 * so that laying out the next message (about 1 ms for 64 revisions) happens
 * while the server runs this one, not between the two. Undefined if it
 * throws: the loop then lays it out again, and meets the error itself.
 */
function layOutLater(schema: string, steps: readonly Step[], from: number, max: number): Promise<{ batch: Batch | undefined } | undefined> {
  return new Promise((resolve) => setImmediate(() => {
    try {
      resolve({ batch: batchFrom(schema, steps, from, max) });
    } catch {
      resolve(undefined);
    }
  }));
}

/** The exact SQL a run would send, bookkeeping included, as a psql script. */
function renderScript(schema: string, steps: readonly Step[], single: boolean, state: State): string {
  const out: string[] = [];
  const upgrades = stateUpgrades(schema, state.version, undefined, state.schemaExists);
  if (upgrades.length) {
    out.push(`-- sqlrev's state schema "${schema}" is created or upgraded first (sql/state/)`);
    for (const u of upgrades) out.push('begin;', u.sql.trim(), 'commit;');
  }
  if (single) out.push('begin;');
  for (const step of steps) {
    const { statements, bookkeeping } = stepSql(schema, step);
    out.push('', `-- ${step.direction} ${step.id} (${step.file})${step.transactional ? '' : ' — outside a transaction'}`);
    if (step.transactional && !single) out.push(openTransaction(step).trimEnd());
    if (!step.transactional) out.push(renderStatement(startedRow(schema, step, statements)));
    for (const s of statements) out.push(s.text.endsWith(';') ? s.text : s.text + ';');
    if (!step.transactional) out.push('begin;');
    out.push(RESET_SESSION + ';');
    for (const b of bookkeeping) out.push(renderStatement(b));
    if (!single) out.push('commit;');
  }
  if (single) out.push('commit;');
  return out.join('\n') + '\n';
}

