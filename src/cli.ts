/**
 * The `migrate` command line: parses arguments, calls the library, renders
 * the result. No decisions about migrations are made here. Modules that
 * only some commands use are imported by those commands: every module loaded
 * adds to the start-up of the `migrate up` each container start runs.
 */
import path from 'node:path';
import { cac, type CAC } from 'cac';
import { readConfigFile, resolveConfig, type Config } from './config.js';
import { EXIT, SqlrevError, usageError } from './errors.js';
import { editDistance } from './headers.js';
import { loadProject, unbuiltRevisions, type Project } from './project.js';
import type { HistoryEntry } from './history.js';
import type { AppliedView } from './inspect.js';
import { createOutput, reportError, reportProblems, stdoutStream, type Format, type Output } from './render.js';
export { flushOutput } from './render.js';
import { VERSION } from './version.js';
import { dbOptions, registerDbCommands, verifyWithDatabase, type DbFlags } from './cli-db.js';
import { checkSchemaFileFor, registerSchemaCommands } from './cli-schema.js';
import { describeTarget, redactUrl, scrub } from './redact.js';

export interface GlobalFlags {
  db?: string;
  dir?: string;
  schema?: string;
  config?: string;
  json?: boolean;
  format?: string;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  yes?: boolean;
  lockTimeout?: string;
  [key: string]: unknown;
}

/** Values of string options are collected into arrays (an option may be repeated). */
export const STRING = { type: [String] };

/** The last value of a string option. */
export function last(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.length ? String(list[list.length - 1]) : undefined;
}

/** Options whose values are text even when they look like numbers. */
const TEXT_OPTIONS: Record<string, string[]> = {
  db: ['--db'], dir: ['--dir'], schema: ['--schema'], config: ['--config'], format: ['--format'],
  parent: ['--parent'], id: ['--id'], message: ['-m', '--message'], lockTimeout: ['--lock-timeout'], wait: ['--wait'], base: ['--base'], backup: ['--backup'], from: ['--from'], to: ['--to'], scratchDb: ['--scratch-db'], schemaFile: ['--schema-file'],
};

/**
 * The values of text options exactly as typed. cac's parser (mri) turns
 * `--id 0042` into the number 42, which would lose the leading zeros of an id,
 * so these values are read back from argv.
 */
export function rawTextOptions(argv: readonly string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    for (const [name, spellings] of Object.entries(TEXT_OPTIONS)) {
      for (const flag of spellings) {
        let value: string | undefined;
        if (arg === flag && i + 1 < argv.length) value = argv[++i];
        else if (arg.startsWith(flag + '=')) value = arg.slice(flag.length + 1);
        if (value !== undefined) (found[name] ??= []).push(value);
      }
    }
  }
  return found;
}

export interface Context {
  flags: GlobalFlags;
  config: Config;
  out: Output;
}

/** Commands whose target may be written `-N`, which an option parser would take for a flag. */
const RELATIVE_TARGET_COMMANDS = new Set(['up', 'down', 'stamp']);

/**
 * Pull a `-N` target out of argv before cac sees it (cac reads `-1` as an
 * unknown short option). Only the first bare `-<digits>` after the command
 * name counts, and only for commands that take a target.
 */
export function extractRelativeTarget(argv: readonly string[]): { argv: string[]; target?: string } {
  const commandIndex = argv.findIndex((a) => !a.startsWith('-'));
  if (commandIndex === -1 || !RELATIVE_TARGET_COMMANDS.has(argv[commandIndex])) return { argv: [...argv] };
  const i = argv.findIndex((a, j) => j > commandIndex && /^-\d+$/.test(a) && !isOptionValue(argv, j));
  if (i === -1) return { argv: [...argv] };
  return { argv: [...argv.slice(0, i), ...argv.slice(i + 1)], target: argv[i] };
}

const OPTIONS_WITH_VALUES = new Set(['--db', '--dir', '--schema', '--config', '--format', '--lock-timeout', '--wait', '-m', '--message', '--id', '--parent']);
function isOptionValue(argv: readonly string[], j: number): boolean {
  return OPTIONS_WITH_VALUES.has(argv[j - 1]);
}

function formatOf(flags: GlobalFlags): Format {
  if (flags.json) return 'json';
  const f = last(flags.format) ?? 'human';
  if (f === 'human' || f === 'json' || f === 'github') return f;
  throw usageError('bad-option', `unknown --format "${f}"`, { hint: 'use --format human, --format json or --format github' });
}

function context(flags: GlobalFlags, env: NodeJS.ProcessEnv): Context {
  const out = createOutput({ format: 'human', quiet: Boolean(flags.quiet), verbose: Boolean(flags.verbose), noColor: flags.color === false, env });
  const format = formatOf(flags);
  const config = resolveConfig(
    { dir: last(flags.dir), schema: last(flags.schema), db: last(flags.db), lockTimeout: last(flags.lockTimeout) },
    env,
    readConfigFile(last(flags.config)),
    process.cwd(),
  );
  return { flags, config, out: { ...out, format } };
}

function dbOptionsFor(ctx: Context) {
  return dbOptions(ctx, ctx.flags as DbFlags);
}

async function loadChecked(ctx: Context, allowMissing = false): Promise<Project> {
  return loadProject(ctx.config.dir, { allowMissing });
}

const SOURCE_NAMES = { flag: 'a flag', env: 'the environment', file: 'the config file', default: 'the default', libpq: 'the PG* variables' } as const;

/** Wraps a command's action: builds the context, maps errors to exit codes. */
export type RunCommand = (fn: (ctx: Context, ...args: any[]) => Promise<number>) => (...args: any[]) => Promise<void>;

function buildCli(env: NodeJS.ProcessEnv, argv: readonly string[], relativeTarget: string | undefined, done: (code: number) => void): CAC {
  const textOptions = rawTextOptions(argv);
  const cli = cac('migrate');
  cli
    .option('--db <url>', 'Database URL, or "embedded" (default: DATABASE_URL, then PG* variables, then sqlrev.json)', STRING)
    .option('--dir <path>', 'Migrations folder (default: migrations)', STRING)
    .option('--schema <name>', 'Schema holding sqlrev\'s state (default: sqlrev)')
    .option('--config <file>', 'Config file (default: ./sqlrev.json)', STRING)
    .option('--json', 'Print one JSON document on stdout')
    .option('--format <format>', 'Output: human, json or github (GitHub Actions annotations)', STRING)
    .option('-q, --quiet', 'Print only results and errors')
    .option('--verbose', 'Print more detail')
    .option('--no-color', 'Never colour the output (NO_COLOR is also respected)')
    .option('-y, --yes', 'Answer yes to confirmation prompts');

  const run: RunCommand = (fn) => async (...args: any[]) => {
    const flags = Object.assign(args[args.length - 1] as GlobalFlags, textOptions);
    let out: Output | undefined;
    try {
      const ctx = context(flags, env);
      out = ctx.out;
      done(await fn(ctx, ...args));
    } catch (err) {
      done(handleError(err, out ?? createOutput({ format: flags.json ? 'json' : 'human', noColor: flags.color === false, env }), env, flags.db));
    }
  };

  cli
    .command('init', 'Write sqlrev.json and an empty migrations folder')
    .example('migrate init')
    .example('migrate init --dir db/migrations --schema sqlrev')
    .action(run(async (ctx) => {
      const { initProject } = await import('./authoring.js');
      const written = await initProject(process.cwd(), ctx.config.dir, ctx.config.schema);
      if (ctx.out.format === 'json') ctx.out.json({ ok: true, written });
      else if (written.length === 0) ctx.out.info('nothing to do: sqlrev.json and the migrations folder already exist');
      else for (const f of written) ctx.out.result(`wrote ${f}`);
      return EXIT.ok;
    }));

  cli
    .command('new <message>', 'Write a new revision (an up and a down file) after the current head')
    .option('--parent <id>', 'Parent revision (repeat for several; default: the single head, or base)', STRING)
    .option('--id <id>', 'Revision id (default: 12 random hex digits)', STRING)
    .option('--no-transaction', 'Run the revision outside a transaction (CREATE INDEX CONCURRENTLY, …)')
    .example('migrate new "add users table"')
    .example('migrate new "index users by email" --no-transaction')
    .example('migrate new "hotfix" --parent 3f2a9c1b7e20 --id 0042')
    .action(run(async (ctx, message: string, options: GlobalFlags & { parent?: string | string[]; id?: string; transaction?: boolean }) => {
      const project = await loadChecked(ctx, true);
      const { newRevision } = await import('./authoring.js');
      const written = await newRevision(project, {
        message: String(message),
        parents: toList(options.parent),
        id: last(options.id),
        transactional: options.transaction !== false,
      });
      return printWritten(ctx, written);
    }));

  cli
    .command('merge [...ids]', 'Write an empty revision whose parents are the heads (or the given ids)')
    .option('-m, --message <message>', 'Message of the merge revision', STRING)
    .option('--id <id>', 'Revision id (default: 12 random hex digits)', STRING)
    .example('migrate merge')
    .example('migrate merge -m "join billing and auth" 1b7e 9c0d')
    .action(run(async (ctx, ids: string[], options: GlobalFlags & { message?: string; id?: string }) => {
      const project = await loadChecked(ctx);
      const { mergeRevision } = await import('./authoring.js');
      const written = await mergeRevision(project, {
        message: last(options.message),
        ids: ids.map(String),
        id: last(options.id),
      });
      return printWritten(ctx, written);
    }));

  cli
    .command('history', 'List every revision in topological order (parents first)')
    .option('--graph', 'Draw branches and merges')
    .option('--reverse', 'Newest first')
    .example('migrate history --graph')
    .example('migrate history --json')
    .action(run(async (ctx, options: GlobalFlags & { graph?: boolean; reverse?: boolean }) => {
      // Without a database, the up files' headers are all history shows: the
      // down files are only listed (readFolder's outline), and `verify` checks them;
      // no texts or checksums are kept, as nothing is compared.
      const offline = !ctx.config.dbConfigured;
      const project = await loadProject(ctx.config.dir, { outline: offline, contents: !offline });
      // With a database configured, revisions are marked applied and current, and edited applied files are reported.
      const state = ctx.config.dbConfigured
        ? await (await import('./engine.js')).readApplied({ ...dbOptionsFor(ctx), dir: ctx.config.dir }, project)
        : undefined;
      reportProblems(ctx.out.format === 'json' ? { ...ctx.out, format: 'human' } : ctx.out, [...project.problems, ...(state?.problems ?? [])]);
      return printHistory(ctx, project, Boolean(options.graph), Boolean(options.reverse), await import('./history.js'), state);
    }));

  cli
    .command('verify', 'CI check: files, headers and graph; with a database, the checksums of applied revisions (exit 3 on any problem)')
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .option('--base <ref>', 'Also refuse edits and deletions of revisions that exist at this git revision (e.g. origin/main)', STRING)
    .option('--schema-file <file>', 'Also check that FILE (from migrate dump) matches the schema the migrations build', STRING)
    .option('--scratch-db <url>', 'With --schema-file: build in this empty database instead of creating one', STRING)
    .example('migrate verify')
    .example('migrate verify --base origin/main --format github')
    .example('migrate verify --format github')
    .example('migrate verify --json')
    .action(run(async (ctx) => {
      const baseRef = last(ctx.flags.base);
      const schemaFile = last(ctx.flags.schemaFile);
      // Files and graph only: no text or checksum is compared, so none is kept (ReadOptions).
      const contents = ctx.config.dbConfigured || baseRef !== undefined || schemaFile !== undefined;
      const project = await loadProject(ctx.config.dir, { contents });
      const base = baseRef === undefined ? undefined : await (await import('./base.js')).checkAgainstBase(baseRef, ctx.config.dir, project);
      const db = ctx.config.dbConfigured ? await verifyWithDatabase(ctx, project) : undefined;
      const schemaDiff = schemaFile === undefined || project.problems.length ? undefined : await checkSchemaFileFor(ctx, schemaFile);
      const schemaProblems = schemaDiff ? [{ file: schemaFile, code: 'schema-file-outdated', message: `${schemaFile} does not match the schema the migrations build`, hint: `regenerate it: migrate dump ${schemaFile}` }] : [];
      const problems = [...project.problems, ...(base?.problems ?? []), ...(db?.problems ?? []), ...schemaProblems];
      if (ctx.out.format === 'json') {
        ctx.out.json({
          ok: problems.length === 0, revisions: project.graph.size, heads: project.graph.heads,
          database: db ? { url: db.database, applied: db.applied } : null,
          base: base ? { ref: baseRef, changes: base.changes } : null,
          schemaFile: schemaFile === undefined ? null : { file: schemaFile, matches: !schemaDiff, diff: schemaDiff || null },
          problems,
        });
      } else {
        reportProblems(ctx.out, problems);
        for (const change of base?.changes ?? []) if (change.diff) ctx.out.error(change.diff);
        for (const edit of db?.edits ?? []) ctx.out.error(edit.diff);
        if (schemaDiff) ctx.out.error(schemaDiff);
        if (problems.length === 0) {
          ctx.out.info(`${ctx.out.c.green('ok')}: ${project.graph.size} revision(s), head${project.graph.heads.length === 1 ? '' : 's'} ${project.graph.heads.join(', ') || '(none)'}${base ? `; unchanged since ${baseRef}` : ''}${db ? `; ${db.applied} applied in ${db.database}, checksums match` : ' (no database configured: files and graph only)'}`);
        } else {
          ctx.out.error(`${problems.length} problem(s) in ${ctx.config.dir}`);
        }
      }
      return problems.length === 0 ? EXIT.ok : EXIT.verify;
    }));

  cli
    .command('config', 'Show the settings in force and where each comes from (passwords masked)')
    .example('migrate config')
    .example('migrate config --json')
    .action(run(async (ctx) => {
      const { config } = ctx;
      const db = config.db === undefined ? (config.sources.db === 'libpq' ? describeTarget(undefined, env) : null) : config.db === 'embedded' ? 'embedded' : redactUrl(config.db);
      const rows = {
        dir: { value: config.dir, source: config.sources.dir },
        schema: { value: config.schema, source: config.sources.schema },
        db: { value: db, source: config.sources.db },
        lockTimeout: { value: config.lockTimeout, source: config.sources.lockTimeout },
      };
      const file = config.configFile === undefined ? null : path.relative(process.cwd(), config.configFile) || config.configFile;
      if (ctx.out.format === 'json') ctx.out.json({ ok: true, configFile: file, settings: rows });
      else {
        ctx.out.result(`config file: ${file ?? '(none: no sqlrev.json here)'}`);
        const shown = Object.entries(rows).map(([key, r]) => ({ key, value: String(r.value ?? '(none)'), source: r.source === 'file' && file ? file : SOURCE_NAMES[r.source] }));
        // The sources line up after the longest value (a database URL may be long).
        const width = Math.max(...shown.map((x) => x.value.length));
        for (const { key, value, source } of shown) ctx.out.result(`${key.padEnd(12)} ${value.padEnd(width)}  ${ctx.out.c.dim(`from ${source}`)}`);
      }
      return EXIT.ok;
    }));

  registerDbCommands(cli, run, relativeTarget);
  registerSchemaCommands(cli, run);
  hideNegatedDefaults(cli);
  cli.help();
  cli.version(VERSION);
  return cli;
}

/**
 * cac gives `--no-x` options a default of true and prints "(default: true)"
 * in --help, which reads as if the option were on. The code only tests for
 * an explicit false, so the default is dropped.
 */
function hideNegatedDefaults(cli: CAC): void {
  for (const command of [cli.globalCommand, ...cli.commands]) {
    for (const option of command.options) if (option.negated) option.config.default = undefined;
  }
}

function toList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function printWritten(ctx: Context, written: { id: string; parents: string[]; up: string; down: string }): number {
  if (ctx.out.format === 'json') ctx.out.json({ ok: true, ...written });
  else {
    ctx.out.info(`revision ${written.id} (parent${written.parents.length > 1 ? 's' : ''}: ${written.parents.join(', ') || 'base'})`);
    ctx.out.result(written.up);
    ctx.out.result(written.down);
  }
  return EXIT.ok;
}

function printHistory(ctx: Context, project: Project, graph: boolean, reverse: boolean, { drawLanes, historyEntries }: typeof import('./history.js'), state?: AppliedView): number {
  // With a database, applied revisions whose files are gone are shown too, where their stored parents put them.
  const entries = historyEntries(state?.graph ?? project.graph, reverse);
  const current = new Set(state?.current ?? []);
  // Revisions whose files are there but could not be made into revisions: listed as such (applied ones whose files are gone are state.gone).
  const unread = unbuiltRevisions(project);
  // Such a revision's parents are unknown, unless its up file or the database gave them.
  const parentsUnknown = (e: HistoryEntry): boolean => !project.revisions.has(e.id) && unread.has(e.id) && !state?.gone.has(e.id) && e.parents.length === 0;
  const problems = [...project.problems, ...(state?.problems ?? [])];
  if (ctx.out.format === 'json') {
    ctx.out.json({
      ok: problems.length === 0,
      database: state?.database ?? null,
      revisions: entries.map((e) => {
        const rev = project.revisions.get(e.id);
        const marks = state ? { applied: state.applied.has(e.id), current: current.has(e.id) } : {};
        return { id: e.id, message: rev?.message ?? state?.gone.get(e.id) ?? null, parents: parentsUnknown(e) ? null : e.parents, children: e.children, head: e.head, ...marks, up: rev?.up.path ?? null, down: rev?.down.path ?? null };
      }),
      problems,
    });
    return EXIT.ok;
  }
  const { c } = ctx.out;
  const lanes = graph ? drawLanes(entries, reverse) : undefined;
  const lines: string[] = [];
  entries.forEach((e, i) => {
    const rev = project.revisions.get(e.id);
    // Concatenated, not an array joined: this runs for every revision (20,000 in benchmarks).
    let marks = e.head ? ' ' + c.cyan('(head)') : '';
    if (current.has(e.id)) marks += ' ' + c.green('(current)');
    else if (state?.applied.has(e.id)) marks += ' ' + c.dim('(applied)');
    if (state?.edited.has(e.id)) marks += ' ' + c.red('(edited)');
    const parents = e.parents.length > 1 ? c.dim(` (merges ${e.parents.join(', ')})`) : '';
    const broken = !rev && unread.has(e.id);
    const stored = state?.gone.get(e.id);
    let message = rev ? rev.message : broken ? c.red('(its files have problems: see above)') : stored !== undefined ? `${stored} ${c.dim('(its files are gone)')}` : '';
    if (e.unordered) message += ' ' + c.red('(in or after a cycle: see above)');
    const text = `${c.yellow(e.id)}  ${message}${parents}${marks}`;
    if (lanes) {
      lines.push(...lanes[i].before);
      lines.push(`${lanes[i].node}  ${text}`);
    } else {
      lines.push(`${text}${e.parents.length <= 1 ? c.dim(`  ← ${parentsUnknown(e) ? '?' : e.parents[0] ?? 'base'}`) : ''}`);
    }
  });
  if (lines.length) ctx.out.result(lines.join('\n'));
  else ctx.out.info(`no revisions in ${ctx.config.dir}`);
  return EXIT.ok;
}

function handleError(err: unknown, out: Output, env: NodeJS.ProcessEnv, db?: string): number {
  if (err instanceof SqlrevError) {
    // A command may have printed its own JSON document for a failure (with its partial result).
    if ((err as { rendered?: boolean }).rendered) return err.exitCode;
    return reportError(out, err);
  }
  if (err instanceof Error && err.name === 'CACError') {
    return reportError(out, usageError('usage', err.message, { hint: 'see migrate --help' }));
  }
  // A bug's stack trace may quote a connection string: hide the password of every URL in play.
  let text = err instanceof Error ? err.stack ?? err.message : String(err);
  for (const url of [db, env.DATABASE_URL]) text = scrub(text, url, env);
  out.error(out.c.red('internal error: ') + text);
  out.error('  this is a bug in sqlrev; please report it with the command you ran');
  return 70;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { argv: args, target } = extractRelativeTarget(argv);
  let code: number = EXIT.ok;
  const cli = buildCli(env, args, target, (c) => { code = c; });
  try {
    cli.parse(['node', 'migrate', ...args], { run: false });
    if (cli.options.help || cli.options.version) {
      // cac prints the version only without a command: `migrate up -v` would otherwise do nothing, quietly.
      if (cli.options.version && !cli.options.help && cli.matchedCommand) cli.outputVersion();
      stdoutStream(); // cac printed to it: flushOutput waits for it
      return EXIT.ok;
    }
    if (!cli.matchedCommand) {
      const name = cli.args[0];
      if (name === undefined) {
        cli.globalCommand.checkUnknownOptions(); // `migrate --frob` is a typo, not a request for help
        stdoutStream();
        cli.outputHelp();
        return EXIT.ok;
      }
      return unknownCommand(cli, name, env);
    }
    // cac reads `--db.url=x` as an object under --db; no option of sqlrev has dotted keys.
    const dotted = args.find((a) => /^--[^=]*\./.test(a));
    if (dotted) return unknownOption(cli, dotted.split('=')[0], args, env);
    await cli.runMatchedCommand();
  } catch (err) {
    const unknown = err instanceof Error && err.name === 'CACError' ? /^Unknown option `(.+)`$/.exec(err.message) : null;
    if (unknown) return unknownOption(cli, unknown[1], args, env);
    return handleError(err, createOutput({ format: 'human', env }), env);
  }
  return code;
}

/**
 * cac names an unknown option by its camel-cased key (`--dryRn` for
 * `--dry-rn`, `--transactoin` for `--no-transactoin`): say what was typed,
 * and the nearest option of the command.
 */
function unknownOption(cli: CAC, reported: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const key = reported.replace(/^-+/, '');
  // cac's own camel-casing (a letter, a dash, a letter), applied before the first dot.
  const camel = (flag: string) => {
    const [head, ...rest] = flag.replace(/^-+/, '').split('.');
    return [head.replaceAll(/([a-z])-([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase()), ...rest].join('.');
  };
  const typed = args.map((a) => a.split('=', 1)[0])
    .find((a) => a.startsWith('-') && [a, a.startsWith('--no-') ? a.slice(5) : ''].some((f) => f !== '' && camel(f).split('.')[0] === key)) ?? reported;
  const command = cli.matchedCommand?.name ? `migrate ${cli.matchedCommand.name}` : 'migrate';
  const flags = [...cli.globalCommand.options, ...(cli.matchedCommand?.options ?? [])]
    .flatMap((o) => o.rawName.split(/[\s,]+/).filter((f) => f.startsWith('--')));
  const near = flags
    .map((f) => ({ f, d: editDistance(typed.split('.')[0].toLowerCase(), f) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  const out = createOutput({ format: 'human', env });
  return reportError(out, usageError('unknown-option', `unknown option ${typed} for ${command}`, {
    hint: near ? `did you mean ${near.f}? (${command} --help lists its options)` : `${command} --help lists its options`,
  }));
}

function unknownCommand(cli: CAC, name: string, env: NodeJS.ProcessEnv): number {
  const names = cli.commands.map((c) => c.name).filter(Boolean);
  const near = names
    .map((n) => ({ n, d: editDistance(name.toLowerCase(), n) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  const out = createOutput({ format: 'human', env });
  return reportError(out, usageError('unknown-command', `unknown command "${name}"`, {
    hint: near ? `did you mean "migrate ${near.n}"?` : `commands: ${names.join(', ')}`,
  }));
}
