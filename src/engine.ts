/**
 * The commands that touch a database, as library functions that return
 * data. Every one has the same shape: load and check the folder, connect,
 * (lock), read state, check checksums, plan, run — then, always, unlock and
 * close. Nothing here prints: callers pass hooks and render results.
 */
import { connect, errorCode, stateError, acquireLock, releaseLock, lockHolder, describeHolder, type Connection, type LockHolder, type Notice } from './db.js';
import { EXIT, SqlrevError, usageError, verifyError, type Problem } from './errors.js';
import { Graph } from './graph.js';
import { parseHeaders } from './headers.js';
import { checkApplied, planDown, planUp, type Plan } from './plan.js';
import { loadProject, type Project } from './project.js';
import { isCopyFromStdin, splitSql } from './split.js';
import { classifyStatement } from './classify.js';
import { ensureState, readState, stateUpgrades, LATEST_STATE_VERSION, renderStatement, RESET_SESSION, type AppliedRow, type State, insertRevision, deleteRevision, logAction, updateChecksums, type RevisionRecord } from './state.js';
import { currentHeads, parseTarget, resolveUpTarget } from './target.js';
import { Runner, stepSql, type SqlFailure, type Step, type StepOutcome } from './run.js';
import { compareApplied, driftProblems, type Drift, type Edit } from './verify.js';
import type { Revision } from './types.js';

export interface Hooks {
  info?(message: string): void;
  /** Detail for --verbose: the connection, the lock, the state schema, the plan. */
  debug?(message: string): void;
  warn?(message: string): void;
  notice?(notice: Notice): void;
  /** Before each step: index from 1, total, the step. */
  stepStart?(index: number, total: number, step: Step): void;
  stepDone?(index: number, total: number, outcome: StepOutcome): void;
  /** Asked before destructive commands; resolve false to cancel. */
  confirm?(question: string): Promise<boolean>;
}

export interface DbOptions {
  /** Migrations folder (default `migrations`). */
  dir?: string;
  /** State schema (default `sqlrev`). */
  schema?: string;
  /** URL, `embedded`, or undefined for libpq PG* variables. */
  db?: string;
  /** Another database on the same server (scratch databases of `migrate test`). */
  database?: string;
  lockTimeout?: number;
  wait?: number;
  hooks?: Hooks;
  /** Aborting cancels the running statement and rolls back. */
  signal?: AbortSignal;
}

export interface RunOptions extends DbOptions {
  target?: string;
  dryRun?: boolean;
  /** Produce the SQL that would run instead of running it. */
  sql?: boolean;
  singleTransaction?: boolean;
  skipVerify?: boolean;
  /** A folder for a pg_dump taken before anything is applied. */
  backup?: string;
}

export interface StepReport {
  id: string;
  message: string;
  direction: 'up' | 'down';
  status: 'done' | 'failed' | 'not-run' | 'planned';
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

// ---------------------------------------------------------------- shared pieces

type Resolved<T extends DbOptions> = T & { dir: string; schema: string };

/** The library's defaults, the same as the CLI's. */
function withDefaults<T extends DbOptions>(options: T): Resolved<T> {
  return { ...options, dir: options.dir ?? 'migrations', schema: options.schema ?? 'sqlrev' };
}

/** Refuse a folder with problems: every command that needs a database checks the graph first. */
export async function loadSound(dir: string): Promise<Project> {
  const project = await loadProject(dir);
  if (project.problems.length) {
    throw verifyError('folder-has-problems', `${dir} has ${project.problems.length} problem(s); nothing was done`, {
      problems: project.problems, hint: 'fix them (migrate verify lists them), then run again',
    });
  }
  return project;
}

interface Session {
  conn: Connection;
  /** The URL connected to (undefined: libpq PG* variables). */
  url?: string;
  stop(): Promise<void>;
}

/** The embedded server, shared by the sessions of this process and stopped with the last. */
let embedded: { server: Promise<{ url: string; stop(): Promise<void> }>; users: number } | undefined;

async function useEmbedded(hooks: Hooks): Promise<{ url: string; release(): Promise<void> }> {
  if (!embedded) {
    hooks.info?.('starting the embedded PostgreSQL (data in .sqlrev/pg/)');
    embedded = { server: import('./embedded.js').then((m) => m.startEmbedded({ dataDir: '.sqlrev/pg' })), users: 0 };
  }
  const shared = embedded;
  shared.users++;
  const release = async () => {
    if (--shared.users > 0) return;
    if (embedded === shared) embedded = undefined;
    await (await shared.server).stop();
  };
  try {
    return { url: (await shared.server).url, release };
  } catch (err) {
    shared.users--;
    if (embedded === shared) embedded = undefined;
    throw err;
  }
}

/** Connect to the configured database (starting the embedded one for `embedded`). */
export async function openSession(options: DbOptions): Promise<Session> {
  const hooks = options.hooks ?? {};
  let url = options.db;
  let server: { release(): Promise<void> } | undefined;
  if (url === 'embedded') {
    const e = await useEmbedded(hooks);
    url = e.url;
    server = e;
  }
  try {
    const conn = await connect({
      url, database: options.database, waitSeconds: options.wait,
      onNotice: (n) => hooks.notice?.(n),
      onWait: (m) => hooks.info?.(m),
    });
    if (server) conn.where = `the embedded PostgreSQL ${conn.serverVersion} in .sqlrev/pg/${options.database ? ` (database ${options.database})` : ''}`;
    hooks.debug?.(`connected to ${conn.where}: PostgreSQL ${conn.serverVersion}, user ${conn.user}, server process ${conn.pid}`);
    return {
      conn,
      url,
      stop: async () => {
        await conn.close().catch(() => undefined);
        await server?.release();
      },
    };
  } catch (err) {
    await server?.release();
    throw err;
  }
}

/** The graph of the files extended with applied revisions whose files are gone. */
export function graphWithState(project: Project, rows: ReadonlyMap<string, AppliedRow>): Graph {
  const missing = [...rows.values()].filter((r) => !project.revisions.has(r.id));
  if (missing.length === 0) return project.graph;
  return Graph.build([...project.revisions.values(), ...missing.map((r) => ({ id: r.id, parents: r.parents }))]).graph;
}

function checkState(graph: Graph, state: State): void {
  const problems = checkApplied(graph, state.rows.keys());
  if (problems.length) {
    throw verifyError('inconsistent-state', 'the revisions recorded in the database do not form a closed history', {
      problems, hint: 'a parent header of an applied revision may have been edited; run migrate status and migrate verify',
    });
  }
}

/** Checksums of applied revisions against their files: refuse on an edit unless --skip-verify. */
function checkDrift(project: Project, state: State, hooks: Hooks, skip: boolean): Drift {
  const drift = compareApplied(state.rows.values(), project.revisions);
  for (const id of drift.missing) hooks.warn?.(`revision ${id} is applied but its files are gone; its stored text is used`);
  if (drift.edited.length === 0) return drift;
  const problems = driftProblems(drift, state.rows);
  if (skip) {
    hooks.warn?.(`--skip-verify: ${drift.edited.length} applied file(s) were edited and this run ignores it. This is for emergencies only.`);
    for (const e of drift.edited) hooks.warn?.(e.diff);
    return drift;
  }
  throw new SqlrevError('edited-files', EXIT.verify, `${drift.edited.length} applied file(s) were edited after they were applied; nothing was done\n\n${drift.edited.map((e) => e.diff).join('\n')}`, {
    problems, hint: 'undo the edits and add new revisions instead; to accept an intended edit run migrate rehash <id>',
  });
}

export function recordOf(rev: Revision): RevisionRecord {
  return {
    id: rev.id, parents: rev.parents, message: rev.message,
    upChecksum: rev.up.checksum, downChecksum: rev.down.checksum,
    upText: rev.up.text, downText: rev.down.text,
    upPath: rev.up.path, downPath: rev.down.path,
  };
}

/** What a down file says about itself, read from its text (stored or on disk). */
export function headerFacts(text: string, file: string): { transactional: boolean; irreversible?: string } {
  const h = parseHeaders(text, file).headers;
  const irreversible = h.get('irreversible')?.value;
  return { transactional: h.get('transaction')?.value.toLowerCase() !== 'false', irreversible: irreversible === undefined ? undefined : irreversible || 'no reason given' };
}

function buildSteps(project: Project, state: State, plan: Plan): Step[] {
  return plan.steps.map((id): Step => {
    const rev = project.revisions.get(id);
    if (plan.direction === 'up') {
      if (!rev) throw new Error(`planned revision ${id} has no files`);
      return { id, direction: 'up', file: rev.up.path, text: rev.up.text, transactional: rev.up.transactional, record: recordOf(rev) };
    }
    const row = state.rows.get(id)!;
    if (rev) return { id, direction: 'down', file: rev.down.path, text: rev.down.text, transactional: rev.down.transactional, record: recordOf(rev) };
    const facts = headerFacts(row.downText, row.downPath ?? id);
    return { id, direction: 'down', file: `${row.downPath ?? id} (stored text; the file is gone)`, text: row.downText, transactional: facts.transactional, record: row };
  });
}

/**
 * Refuse, before anything runs: psql meta-commands, transaction control in a
 * transactional file, statements PostgreSQL refuses inside a transaction,
 * crossing an irreversible revision, and non-transactional files under
 * --single-transaction.
 */
export function precheck(steps: readonly Step[], singleTransaction: boolean): void {
  const problems: Problem[] = [];
  for (const step of steps) {
    if (step.direction === 'down') {
      const facts = headerFacts(step.text, step.file);
      if (facts.irreversible !== undefined) {
        throw usageError('irreversible', `revision ${step.id} is irreversible (${facts.irreversible}); down would have to cross it, so nothing was done`, {
          file: step.file, revision: step.id, hint: 'choose a target after this revision, or restore from a backup',
        });
      }
    }
    if (singleTransaction && !step.transactional) {
      throw usageError('single-transaction-conflict', `revision ${step.id} says "-- transaction: false", which cannot run inside --single-transaction; nothing was done`, {
        file: step.file, revision: step.id, hint: 'run without --single-transaction, or stop before this revision',
      });
    }
    const { statements, metaCommands } = splitSql(step.text);
    for (const m of metaCommands) {
      problems.push({ file: step.file, line: m.line, revision: step.id, code: 'psql-meta-command',
        message: `"${m.text}" is a psql meta-command, not SQL; sqlrev does not run it`,
        hint: m.text.startsWith('\\restrict') || m.text.startsWith('\\unrestrict')
          ? 'pg_dump writes \\restrict lines for psql: delete them from the migration'
          : 'replace it with plain SQL (for \\i, paste the file\'s contents)' });
    }
    for (const s of statements) {
      if (!isCopyFromStdin(s.text)) continue;
      problems.push({ file: step.file, line: s.line, revision: step.id, code: 'copy-from-stdin',
        message: 'COPY … FROM stdin needs psql to feed it data; sqlrev sends SQL only',
        hint: 'load the rows with INSERT statements, or COPY from a server-side file' });
    }
    if (!step.transactional) continue;
    for (const s of statements) {
      const kind = classifyStatement(s.text);
      if (kind === 'transaction-control') {
        problems.push({ file: step.file, line: s.line, revision: step.id, code: 'transaction-control',
          message: `"${firstLine(s.text)}" controls the transaction, but sqlrev runs each revision in its own transaction`,
          hint: 'remove it: the revision is atomic already (or mark the file "-- transaction: false")' });
      } else if (kind === 'no-transaction') {
        problems.push({ file: step.file, line: s.line, revision: step.id, code: 'needs-no-transaction',
          message: `"${firstLine(s.text)}" cannot run inside a transaction block`,
          hint: 'add "-- transaction: false" to this file\'s headers and make its statements safe to repeat' });
      }
    }
  }
  if (problems.length) {
    throw verifyError('refused-sql', `${problems.length} statement(s) refused before running; nothing was done`, { problems, file: problems[0].file, line: problems[0].line, revision: problems[0].revision });
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 60 ? line.slice(0, 57) + '…' : line;
}

/** Run `fn` holding the lock; always release it and close. Server errors become SqlrevErrors. */
async function withLockedSession<T>(options: Resolved<DbOptions>, fn: (s: Session, state: State, runner: Runner) => Promise<T>): Promise<T> {
  const hooks = options.hooks ?? {};
  const session = await openSession(options);
  // One runner for the lock wait and the statements: Ctrl-C cancels either.
  const runner = new Runner(session.conn.sql, options.schema, session.conn.cancelRunning, session.conn.quietly);
  const onAbort = () => runner.cancel(options.signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let locked = false;
  try {
    try {
      await acquireLock(session.conn.sql, options.schema, options.lockTimeout ?? 300, (h) => {
        hooks.info?.(`waiting for the lock on schema "${options.schema}": ${h ? `held by ${describeHolder(h)}` : 'held by another session'}`);
      });
    } catch (err) {
      if (errorCode(err) === '57014' && options.signal?.aborted) throw interrupted(options.signal);
      throw err;
    }
    locked = true;
    hooks.debug?.(`took the advisory lock of state schema "${options.schema}"`);
    if (options.signal?.aborted) throw interrupted(options.signal);
    let state = await readState(session.conn.sql, options.schema);
    if (state.version < LATEST_STATE_VERSION()) {
      await ensureState(session.conn.sql, options.schema, state.version);
      hooks.debug?.(`${state.version === 0 ? 'created' : 'upgraded'} state schema "${options.schema}" (version ${LATEST_STATE_VERSION()})`);
      state = await readState(session.conn.sql, options.schema);
    }
    hooks.debug?.(`${state.rows.size} revision(s) recorded as applied`);
    return await fn(session, state, runner);
  } catch (err) {
    throw stateError(err, options.schema);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (locked) await releaseLock(session.conn.sql, options.schema).catch(() => undefined);
    await session.stop();
  }
}

/** Run `fn` on a session without the lock (reading only); always close. */
export async function withReadSession<T>(options: Resolved<DbOptions>, fn: (s: Session, state: State) => Promise<T>): Promise<T> {
  const session = await openSession(options);
  try {
    return await fn(session, await readState(session.conn.sql, options.schema));
  } catch (err) {
    throw stateError(err, options.schema);
  } finally {
    await session.stop();
  }
}

function asFailure(err: unknown): SqlrevError {
  return err instanceof SqlrevError ? err : new SqlrevError('sql-failed', EXIT.sqlFailed, String(err), { cause: err });
}

/** The final COMMIT of --single-transaction failed: deferred constraints of any revision are checked there. */
function commitFailure(err: unknown, revisions: number): SqlrevError {
  const e = err as { message?: string; detail?: string; hint?: string };
  const code = errorCode(err);
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) return stateError(err, '');
  const failure: SqlFailure = new SqlrevError('sql-failed', EXIT.sqlFailed, `the final commit of --single-transaction failed, so none of the ${revisions} revision(s) was applied: ${e.message ?? String(err)} (SQLSTATE ${code})${e.detail ? `\ndetail: ${e.detail}` : ''}`, {
    hint: e.hint ?? 'deferred constraints are checked at commit: the detail names the rows involved', cause: err,
  });
  failure.sqlstate = code;
  return failure;
}

function interrupted(signal: AbortSignal): SqlrevError {
  const code = signal.reason === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  return new SqlrevError('interrupted', code, 'interrupted; nothing was changed');
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
    if (options.sql) return { ...base, steps: steps.map((s) => report(s, 'planned')), sql: renderScript(options.schema, steps, Boolean(options.singleTransaction), state.version) };
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
    try {
      if (options.singleTransaction) await session.conn.sql.unsafe('begin').simple();
      for (const [i, step] of steps.entries()) {
        current = i;
        if (options.signal?.aborted) throw interrupted(options.signal);
        hooks.stepStart?.(i + 1, steps.length, step);
        const outcome = options.singleTransaction
          ? await runner.runInOuterTransaction(step)
          : step.transactional ? await runner.runTransactional(step) : await runner.runAutocommit(step);
        reports[i] = report(step, 'done', outcome.durationMs);
        hooks.stepDone?.(i + 1, steps.length, outcome);
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
        failure = committing ? commitFailure(err, steps.length) : asFailure(err);
        if (!committing) reports[current].status = 'failed';
        await runner.logFailure(committing ? undefined : steps[current], failure);
      } else {
        failure = asFailure(err);
        if (current >= 0) reports[current].status = 'failed';
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

/** The exact SQL a run would send, bookkeeping included, as a psql script. */
function renderScript(schema: string, steps: readonly Step[], single: boolean, stateVersion: number): string {
  const out: string[] = [];
  const upgrades = stateUpgrades(schema, stateVersion);
  if (upgrades.length) {
    out.push(`-- sqlrev's state schema "${schema}" is created or upgraded first (sql/state/)`);
    for (const u of upgrades) out.push('begin;', u.sql.trim(), 'commit;');
  }
  if (single) out.push('begin;');
  for (const step of steps) {
    const { statements, bookkeeping } = stepSql(schema, step);
    out.push('', `-- ${step.direction} ${step.id} (${step.file})${step.transactional ? '' : ' — outside a transaction'}`);
    if (step.transactional && !single) out.push('begin;');
    for (const s of statements) out.push(s.text.endsWith(';') ? s.text : s.text + ';');
    if (!step.transactional) out.push('begin;');
    out.push(RESET_SESSION + ';');
    for (const b of bookkeeping) out.push(renderStatement(b));
    if (!single) out.push('commit;');
  }
  if (single) out.push('commit;');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- stamp and rehash

export interface StampResult {
  target: string;
  added: string[];
  removed: string[];
}

/** Record a state without running SQL: the applied set becomes exactly the target and its ancestors. */
export async function stamp(given: DbOptions & { target: string; skipVerify?: boolean }): Promise<StampResult> {
  const options = withDefaults(given);
  const hooks = options.hooks ?? {};
  const expr = parseTarget(options.target);
  const project = await loadSound(options.dir);
  return withLockedSession(options, async (session, state, runner) => {
    const graph = graphWithState(project, state.rows);
    checkDrift(project, state, hooks, Boolean(options.skipVerify));
    const applied = new Set(state.rows.keys());
    let wanted: Set<string>;
    if (expr.kind === 'step' && expr.steps < 0) {
      const reverted = new Set(planDown(graph, applied, expr).steps);
      wanted = new Set([...applied].filter((id) => !reverted.has(id)));
    } else {
      wanted = graph.ancestors(resolveUpTarget(graph, applied, expr).ids, true);
    }
    const added = graph.sortTopo([...wanted].filter((id) => !applied.has(id)));
    const removed = graph.sortTopo([...applied].filter((id) => !wanted.has(id))).reverse();
    for (const id of added) if (!project.revisions.has(id)) throw usageError('missing-files', `cannot stamp ${id}: its files are gone`, { revision: id });
    if (added.length + removed.length === 0) return { target: options.target, added, removed };
    if (hooks.confirm && !(await hooks.confirm(`stamp ${options.target}: record ${added.length} revision(s) as applied and ${removed.length} as not applied, without running any SQL?`))) {
      throw usageError('cancelled', 'stamp cancelled; nothing was changed');
    }
    const statements = [
      ...removed.flatMap((id) => [deleteRevision(options.schema, id), logAction(options.schema, 'stamp', id, { applied: false })]),
      ...added.flatMap((id) => [insertRevision(options.schema, recordOf(project.revisions.get(id)!), 'stamp'), logAction(options.schema, 'stamp', id, { applied: true })]),
    ];
    await runner.inTransaction([], statements);
    return { target: options.target, added, removed };
  });
}

export interface RehashResult {
  revision: string;
  changed: { which: 'up' | 'down'; from: string; to: string; diff: string }[];
}

/** Accept an intended edit of an applied revision's files: store the new text and checksums, and log it. */
export async function rehash(given: DbOptions & { revision: string }): Promise<RehashResult> {
  const options = withDefaults(given);
  const hooks = options.hooks ?? {};
  const project = await loadSound(options.dir);
  return withLockedSession(options, async (session, state, runner) => {
    const graph = graphWithState(project, state.rows);
    const id = graph.resolve(options.revision);
    const row = state.rows.get(id);
    if (!row) throw usageError('not-applied', `revision ${id} is not applied: only applied revisions have stored checksums`, { revision: id, hint: 'edit pending revisions freely; rehash is for applied ones' });
    const rev = project.revisions.get(id);
    if (!rev) throw usageError('missing-files', `revision ${id} has no files to take checksums from`, { revision: id });
    const drift = compareApplied([row], project.revisions);
    const changed = drift.edited.map((e) => ({ which: e.which, from: e.storedChecksum, to: e.fileChecksum, diff: e.diff }));
    if (changed.length === 0) return { revision: id, changed };
    if (hooks.confirm && !(await hooks.confirm(`accept the edit of ${changed.map((c) => `${c.which} file`).join(' and ')} of ${id} as if it had been applied this way?`))) {
      throw usageError('cancelled', 'rehash cancelled; nothing was changed');
    }
    await runner.inTransaction([], [
      updateChecksums(options.schema, recordOf(rev)),
      logAction(options.schema, 'rehash', id, { changed: changed.map(({ which, from, to }) => ({ which, from, to })) }),
    ]);
    return { revision: id, changed };
  });
}

// ---------------------------------------------------------------- status and show

export interface StatusResult {
  database?: string;
  connected: boolean;
  revisions: number;
  heads: string[];
  current: string[];
  applied: number;
  pending: string[];
  edited: { revision: string; which: 'up' | 'down'; file: string; diff: string }[];
  missing: string[];
  problems: Problem[];
  lock?: { held: boolean; holder?: LockHolder };
}

/** Where the database stands. Without a configured database, only the folder part. */
export async function status(given: DbOptions & { offline?: boolean }): Promise<StatusResult> {
  const options = withDefaults(given);
  const project = await loadProject(options.dir);
  const base: StatusResult = {
    connected: false, revisions: project.graph.size, heads: [...project.graph.heads], current: [], applied: 0,
    pending: [...project.graph.order], edited: [], missing: [], problems: project.problems,
  };
  if (options.offline) return base;
  return withReadSession(options, async (session, state) => {
    const graph = graphWithState(project, state.rows);
    const applied = new Set(state.rows.keys());
    const drift = compareApplied(state.rows.values(), project.revisions);
    const holder = await lockHolder(session.conn.sql, options.schema);
    return {
      ...base,
      database: session.conn.where,
      connected: true,
      current: currentHeads(graph, applied),
      applied: applied.size,
      pending: graph.order.filter((id) => !applied.has(id)),
      edited: drift.edited.map((e) => ({ revision: e.revision, which: e.which, file: e.file, diff: e.diff })),
      missing: drift.missing,
      problems: [...project.problems, ...checkApplied(graph, applied), ...driftProblems(drift, state.rows)],
      lock: { held: Boolean(holder), holder },
    };
  });
}

/** The applied revisions and the current heads, for history's marks. */
export async function readApplied(given: DbOptions, project: Project): Promise<{ applied: Set<string>; current: string[]; database: string }> {
  const options = withDefaults(given);
  return withReadSession(options, async (session, state) => {
    const applied = new Set(state.rows.keys());
    return { applied, current: currentHeads(graphWithState(project, state.rows), applied), database: session.conn.where };
  });
}

export interface ShowResult {
  id: string;
  message: string;
  parents: readonly string[];
  children: readonly string[];
  head: boolean;
  files: { up: string; down: string } | null;
  checksums: { up: string; down: string } | null;
  irreversible?: string;
  transactional: { up: boolean; down: boolean } | null;
  applied?: { at: string; by: string; how: string; durationMs: number | null; checksums: { up: string; down: string } } | null;
  edits: { which: 'up' | 'down'; diff: string }[];
}

export async function show(given: DbOptions & { revision: string; offline?: boolean }): Promise<ShowResult> {
  const options = withDefaults(given);
  const project = await loadProject(options.dir);
  const rows = options.offline ? new Map<string, AppliedRow>() : await withReadSession(options, async (_, state) => state.rows);
  const graph = graphWithState(project, rows);
  const id = graph.resolve(options.revision);
  const rev = project.revisions.get(id);
  const row = rows.get(id);
  const drift = row ? compareApplied([row], project.revisions) : { edited: [], missing: [] };
  return {
    id,
    message: rev?.message ?? row?.message ?? '',
    parents: graph.parents(id),
    children: graph.children(id),
    head: graph.heads.includes(id),
    files: rev ? { up: rev.up.path, down: rev.down.path } : null,
    checksums: rev ? { up: rev.up.checksum, down: rev.down.checksum } : null,
    irreversible: rev?.irreversible,
    transactional: rev ? { up: rev.up.transactional, down: rev.down.transactional } : null,
    applied: options.offline ? undefined : row ? {
      at: row.appliedAt.toISOString(), by: row.appliedBy, how: row.appliedHow, durationMs: row.durationMs,
      checksums: { up: row.upChecksum, down: row.downChecksum },
    } : null,
    edits: drift.edited.map((e) => ({ which: e.which, diff: e.diff })),
  };
}

/** verify's database part: checksums of applied revisions, missing files, a closed applied set. */
export async function verifyDatabase(given: DbOptions, project: Project): Promise<{ problems: Problem[]; applied: number; database: string; edits: Edit[] }> {
  const options = withDefaults(given);
  return withReadSession(options, async (session, state) => {
    const graph = graphWithState(project, state.rows);
    const drift = compareApplied(state.rows.values(), project.revisions);
    return {
      problems: [...checkApplied(graph, state.rows.keys()), ...driftProblems(drift, state.rows)],
      applied: state.rows.size,
      database: session.conn.where,
      edits: drift.edited,
    };
  });
}
