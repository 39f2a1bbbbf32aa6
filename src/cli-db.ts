/**
 * The database commands of the CLI: up, down, status, show, stamp, rehash,
 * and verify's database part. Parses options, calls the engine, renders.
 */
import type { CAC } from 'cac';
import { last, STRING, type Context, type GlobalFlags, type RunCommand } from './cli.js';
import { seconds } from './config.js';
import type { DbOptions, Hooks, RunResult } from './engine.js';
import { EXIT, SqlrevError, usageError } from './errors.js';
import type { Project } from './project.js';
import { stderrStream, type Output } from './render.js';
import { isatty } from 'node:tty';

/**
 * Commands that change or need a database refuse to guess one: without --db,
 * DATABASE_URL, PG* variables or `db` in sqlrev.json, libpq's defaults (the OS
 * user's database on the local socket) would be a silent, surprising choice.
 */
export function needsServer(ctx: Context, command: string): void {
  if (!ctx.config.dbConfigured) {
    throw usageError('no-database', `migrate ${command} needs a database, and none is configured`, {
      hint: 'pass --db URL, set DATABASE_URL or the PG* variables, add "db" to sqlrev.json, or use --db embedded',
    });
  }
}

/** The engine (and with it the PostgreSQL driver) loads only for commands that use a database. */
const engine = () => import('./engine.js');

export type DbFlags = GlobalFlags & { backup?: string; wait?: string; dryRun?: boolean; sql?: boolean; singleTransaction?: boolean; skipVerify?: boolean; batch?: string };

export function dbOptions(ctx: Context, flags: DbFlags, signal?: AbortSignal): DbOptions {
  const wait = last(flags.wait);
  return {
    dir: ctx.config.dir,
    schema: ctx.config.schema,
    db: ctx.config.db,
    lockTimeout: ctx.config.lockTimeout,
    wait: wait === undefined ? undefined : seconds(wait, '--wait'),
    hooks: hooks(ctx.out, Boolean(flags.yes)),
    signal,
  };
}

/** Progress and notices on stderr; prompts only on a terminal. */
export function hooks(out: Output, yes: boolean): Hooks {
  const tty = isatty(2) && out.format !== 'json';
  let started = 0;
  let ticker: NodeJS.Timeout | undefined;
  const stopTicker = () => { if (ticker) clearInterval(ticker); ticker = undefined; };
  return {
    info: (m) => out.info(m),
    debug: (m) => { if (out.verbose) out.info(out.c.dim(m)); },
    warn: (m) => out.warn(m),
    notice: (n) => out.info(`${out.c.cyan(n.severity)}: ${n.message}${n.detail ? `\n  detail: ${n.detail}` : ''}${n.hint ? `\n  hint: ${n.hint}` : ''}`),
    stepStart: (i, total, step, count) => {
      started = performance.now();
      if (!tty || out.quiet) return;
      // On a terminal, one line that shows n/m, the revision (and how many more
      // share its message) and the elapsed time.
      const more = count > 1 ? ` (+${count - 1} in the same message)` : '';
      const draw = () => stderrStream().write(`\r\u001b[K[${i}/${total}] ${step.direction} ${step.id}${more} ${((performance.now() - started) / 1000).toFixed(0)} s`);
      draw();
      stopTicker();
      ticker = setInterval(draw, 1000);
      ticker.unref();
    },
    stepDone: (i, total, outcome) => {
      stopTicker();
      // A revision of a batch is timed by the server; one sent alone, by sqlrev.
      const ms = outcome.durationMs === undefined ? '' : ` (${outcome.durationMs.toFixed(0)} ms)`;
      const line = `${outcome.direction === 'up' ? 'applied' : 'reverted'} ${outcome.id}${ms} [${i}/${total}]`;
      if (tty && !out.quiet) stderrStream().write(`\r\u001b[K${line}\n`);
      else out.info(line);
    },
    confirm: yes || !(isatty(0) && isatty(2)) ? undefined : async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: stderrStream() });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
  };
}

/** Ctrl-C and SIGTERM cancel the running statement; a second signal exits at once. */
export function withSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
    if (controller.signal.aborted) process.exit(name === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);
    stderrStream().write(`\n${name}: cancelling the running statement and rolling back…\n`);
    controller.abort(name);
  };
  // The handlers stay until the process ends: a second signal while sqlrev is
  // cleaning up (rolling back, releasing the lock) must still exit at once with
  // the documented code, not by Node's default signal death.
  process.on('SIGINT', onSignal('SIGINT'));
  process.on('SIGTERM', onSignal('SIGTERM'));
  return fn(controller.signal);
}

function renderRun(ctx: Context, result: RunResult): void {
  const { out } = ctx;
  if (out.format === 'json') {
    out.json({ ok: true, ...result });
    return;
  }
  if (result.sql !== undefined) {
    out.result(result.sql.trimEnd());
    return;
  }
  const verb = result.direction === 'up' ? 'apply' : 'revert';
  if (result.steps.length === 0) {
    out.info(`nothing to ${verb}: ${result.database} is already at ${result.target}`);
    return;
  }
  if (result.dryRun) {
    out.info(`would ${verb} ${result.steps.length} revision(s) on ${result.database} (dry run, nothing changed):`);
    for (const s of result.steps) out.result(`${s.direction} ${s.id}  ${s.message}`);
    return;
  }
  const total = result.steps.reduce((t, s) => t + (s.durationMs ?? 0), 0);
  out.info(`${out.c.green('done')}: ${result.direction === 'up' ? 'applied' : 'reverted'} ${result.steps.length} revision(s) on ${result.database} in ${total.toFixed(0)} ms`);
}

/** --batch: a whole number of revisions, at least 1. */
function batchSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw usageError('usage', `--batch ${value} is not a number of revisions`, { hint: 'give a whole number, at least 1 (1 sends each revision in its own message)' });
  }
  return n;
}

const RUN_OPTIONS: [string, string][] = [
  ['--dry-run', 'Print the plan and change nothing'],
  ['--sql', 'Print the exact SQL that would run, bookkeeping included, and change nothing'],
  ['--single-transaction', 'Run the whole plan in one transaction: all or nothing'],
  ['--batch <n>', 'Send at most N small revisions per message, each in its own transaction (default 64; 1 sends each alone)'],
  ['--skip-verify', 'Run even if applied files were edited (emergencies only)'],
  ['--backup <dir>', 'Write a pg_dump of the database to DIR before applying anything'],
  ['--lock-timeout <seconds>', 'Wait this long for another runner\'s lock (default 300)'],
  ['--wait <seconds>', 'Wait up to this long for the database to accept connections'],
];

export function registerDbCommands(cli: CAC, run: RunCommand, relativeTarget: string | undefined): void {
  const target = (given: unknown): string | undefined => {
    if (given !== undefined && relativeTarget !== undefined) {
      throw usageError('usage', `two targets given: ${String(given)} and ${relativeTarget}`, { hint: 'give one target' });
    }
    return given === undefined ? relativeTarget : String(given);
  };
  const runPlan = async (direction: 'up' | 'down', ctx: Context, t: string | undefined, flags: DbFlags): Promise<number> => {
    needsServer(ctx, direction);
    const { up, down } = await engine();
    const result = await withSignals((signal) => (direction === 'up' ? up : down)({
      ...dbOptions(ctx, flags, signal), target: t,
      dryRun: Boolean(flags.dryRun), sql: Boolean(flags.sql),
      singleTransaction: Boolean(flags.singleTransaction), skipVerify: Boolean(flags.skipVerify),
      batch: batchSize(last(flags.batch)),
      backup: last(flags.backup),
      hooks: { ...dbOptions(ctx, flags).hooks, confirm: undefined },
    }).catch((err) => {
      const partial = (err as { result?: RunResult }).result;
      if (partial && ctx.out.format === 'json' && err instanceof SqlrevError) {
        ctx.out.json({ ok: false, error: err.toJSON(), ...partial });
        (err as { rendered?: boolean }).rendered = true;
      }
      throw err;
    }));
    renderRun(ctx, result);
    return EXIT.ok;
  };

  /** up and down take the same options. */
  const withRunOptions = (command: ReturnType<CAC['command']>) => {
    for (const [name, help] of RUN_OPTIONS) command.option(name, help, name.includes('<') ? STRING : undefined);
    return command;
  };

  withRunOptions(cli.command('up [target]', 'Apply revisions up to TARGET (default: head)'))
    .example('migrate up')
    .example('migrate up +1')
    .example('migrate up 3f2a --dry-run')
    .example('migrate up heads --sql > plan.sql')
    .example('migrate up --wait 60            # container start-up')
    .action(run((ctx, given: unknown, flags: DbFlags) => runPlan('up', ctx, target(given), flags)));

  withRunOptions(cli.command('down [target]', 'Revert applied revisions after TARGET (required: -1, <id>, base)'))
    .example('migrate down -1')
    .example('migrate down 3f2a9c1b7e20')
    .example('migrate down base --yes')
    .action(run(async (ctx, given: unknown, flags: DbFlags) => {
      const t = target(given);
      if (t === undefined) throw usageError('missing-target', 'down needs a target: rolling back is never implicit', { hint: 'e.g. migrate down -1, migrate down <id>, or migrate down base' });
      if (t === 'base' && !flags.dryRun && !flags.sql) {
        const confirm = hooks(ctx.out, Boolean(flags.yes)).confirm;
        if (confirm && !(await confirm('down base reverts every applied revision. Continue?'))) throw usageError('cancelled', 'cancelled; nothing was changed');
      }
      return runPlan('down', ctx, t, flags);
    }));

  cli.command('status', 'Where the database stands: current revisions, pending, heads, edited or missing files, the lock')
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .example('migrate status')
    .example('migrate status --json')
    .action(run(async (ctx, flags: DbFlags) => {
      const { status } = await engine();
      const { describeHolder } = await import('./db.js');
      const r = await status({ ...dbOptions(ctx, flags), offline: !ctx.config.dbConfigured });
      const { out } = ctx;
      if (out.format === 'json') {
        out.json({ ok: r.problems.length === 0, ...r });
        return EXIT.ok;
      }
      const c = out.c;
      const lines: string[] = [];
      if (r.connected) {
        lines.push(`database: ${r.database}`);
        lines.push(`current:  ${r.current.length ? r.current.join(', ') : '(nothing applied)'}`);
        lines.push(`applied:  ${r.applied}`);
      } else {
        lines.push(c.dim('database: none configured (--db, DATABASE_URL, PG* variables or sqlrev.json); folder only'));
      }
      lines.push(`pending:  ${r.pending.length}${r.pending.length ? ` (${r.pending.slice(0, 10).join(', ')}${r.pending.length > 10 ? ', …' : ''})` : ''}`);
      lines.push(`heads:    ${r.heads.join(', ') || '(none)'}`);
      if (r.lock) lines.push(`lock:     ${r.lock.holder ? `held by ${describeHolder(r.lock.holder)}` : 'free'}`);
      for (const e of r.edited) lines.push(c.red(`edited:   ${e.file} (revision ${e.revision}, applied)`), e.diff);
      for (const id of r.missing) lines.push(c.yellow(`missing:  files of applied revision ${id}`));
      for (const p of r.problems.filter((p) => p.code !== 'edited-file' && p.code !== 'missing-file')) lines.push(c.red(`problem:  ${p.file ?? ''}${p.line ? `:${p.line}` : ''} ${p.message}`));
      out.result(lines.join('\n'));
      return EXIT.ok;
    }));

  cli.command('show <rev>', 'One revision: parents, children, files, checksums, when applied, the diff if edited')
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .example('migrate show 3f2a')
    .example('migrate show head --json')
    .action(run(async (ctx, rev: unknown, flags: DbFlags) => {
      const { show } = await engine();
      const r = await show({ ...dbOptions(ctx, flags), revision: String(rev), offline: !ctx.config.dbConfigured });
      const { out } = ctx;
      if (out.format === 'json') {
        out.json({ ok: true, ...r });
        return EXIT.ok;
      }
      const lines = [
        `revision:  ${r.id}${r.head ? ' (head)' : ''}`,
        `message:   ${r.message}`,
        `parents:   ${r.parents.join(', ') || 'base'}`,
        `children:  ${r.children.join(', ') || '(none)'}`,
        r.files ? `files:     ${r.files.up}\n           ${r.files.down}` : 'files:     (gone; the database keeps their text)',
      ];
      if (r.checksums) lines.push(`checksums: up ${r.checksums.up}\n           down ${r.checksums.down}`);
      if (r.irreversible) lines.push(`down:      irreversible (${r.irreversible})`);
      if (r.transactional && (!r.transactional.up || !r.transactional.down)) lines.push(`runs:      outside a transaction (${[!r.transactional.up && 'up', !r.transactional.down && 'down'].filter(Boolean).join(', ')})`);
      if (r.applied === null) lines.push('applied:   no');
      else if (r.applied) lines.push(`applied:   ${r.applied.at} by ${r.applied.by}${r.applied.how === 'stamp' ? ' (stamped)' : ''}${r.applied.durationMs !== null ? ` in ${r.applied.durationMs.toFixed(0)} ms` : ''}`);
      for (const e of r.edits) lines.push(out.c.red(`edited since applied (${e.which}):`), e.diff);
      out.result(lines.join('\n'));
      return EXIT.ok;
    }));

  cli.command('stamp <target>', 'Record TARGET and its ancestors as applied (and nothing else) without running SQL')
    .option('--skip-verify', 'Stamp even if applied files were edited (emergencies only)')
    .option('--lock-timeout <seconds>', 'Wait this long for another runner\'s lock (default 300)', STRING)
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .example('migrate stamp head        # adopt a database that already has the schema')
    .example('migrate stamp base        # forget every applied revision')
    .action(run(async (ctx, given: unknown, flags: DbFlags) => {
      needsServer(ctx, 'stamp');
      const t = target(given) ?? String(given);
      const { stamp } = await engine();
      const r = await withSignals((signal) => stamp({ ...dbOptions(ctx, flags, signal), target: t, skipVerify: Boolean(flags.skipVerify) }));
      if (ctx.out.format === 'json') ctx.out.json({ ok: true, ...r });
      else if (r.added.length + r.removed.length === 0) ctx.out.info(`nothing to stamp: the database already records ${t}`);
      else {
        for (const id of r.removed) ctx.out.result(`unrecorded ${id}`);
        for (const id of r.added) ctx.out.result(`recorded   ${id}`);
      }
      return EXIT.ok;
    }));

  cli.command('rehash <rev>', 'Accept an intended edit of an applied revision: store its new text and checksums')
    .option('--lock-timeout <seconds>', 'Wait this long for another runner\'s lock (default 300)', STRING)
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .example('migrate rehash 3f2a9c1b7e20')
    .action(run(async (ctx, rev: unknown, flags: DbFlags) => {
      needsServer(ctx, 'rehash');
      const { rehash } = await engine();
      const r = await withSignals((signal) => rehash({ ...dbOptions(ctx, flags, signal), revision: String(rev) }));
      if (ctx.out.format === 'json') ctx.out.json({ ok: true, ...r });
      else if (r.changed.length === 0) ctx.out.info(`nothing to do: the files of ${r.revision} match what was applied`);
      else for (const ch of r.changed) ctx.out.result(`rehashed ${r.revision} ${ch.which}: ${ch.from} → ${ch.to}`);
      return EXIT.ok;
    }));
}

/** verify's database part, used by the verify command when a database is configured. */
export async function verifyWithDatabase(ctx: Context, project: Project) {
  const { verifyDatabase } = await engine();
  return verifyDatabase(dbOptions(ctx, ctx.flags as DbFlags), project);
}
