/**
 * The CLI commands that prove migrations: schema, test, drift, dump (and
 * verify's --schema-file, through checkSchemaFileFor). Each needs a server;
 * test, drift and dump also a scratch database on it.
 */
import { writeFile } from 'node:fs/promises';
import type { CAC } from 'cac';
import { last, STRING, type Context, type RunCommand } from './cli.js';
import { dbOptions, needsServer, withSignals, type DbFlags } from './cli-db.js';
import { EXIT, SqlrevError } from './errors.js';

type ScratchFlags = DbFlags & { scratchDb?: string; from?: string; to?: string; keep?: boolean; privileges?: boolean };

const SCRATCH_OPTION: [string, string] = ['--scratch-db <url>', 'Use this empty database as the scratch database instead of creating one (it is not dropped)'];

export function registerSchemaCommands(cli: CAC, run: RunCommand): void {
  cli.command('schema', 'Print a canonical description of the database\'s schema (sqlrev\'s own state schema left out)')
    .option('--privileges', 'Include owners and grants')
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .example('migrate schema')
    .example('migrate schema --json')
    .action(run(async (ctx, flags: ScratchFlags) => {
      needsServer(ctx, 'schema');
      const { withReadSession } = await import('./engine.js');
      const { snapshot, snapshotJson } = await import('./snapshot.js');
      const options = dbOptions(ctx, flags);
      const shot = await withReadSession({ ...options, dir: ctx.config.dir, schema: ctx.config.schema }, (session) =>
        snapshot(session.conn.sql, { excludeSchemas: [ctx.config.schema], privileges: Boolean(flags.privileges) }));
      if (ctx.out.format === 'json') ctx.out.json({ ok: true, ...(snapshotJson(shot) as object) });
      else ctx.out.result(shot.text.trimEnd());
      return EXIT.ok;
    }));

  cli.command('test', 'Round trip on a scratch database: for each revision up, down, compare the schema, up again')
    .option('--from <rev>', 'First revision to test (earlier ones are only applied)', STRING)
    .option('--to <rev>', 'Last revision to test', STRING)
    .option('--keep', 'Leave the scratch database for inspection')
    .option(...SCRATCH_OPTION, STRING)
    .option('--wait <seconds>', 'Wait up to this long for the server to accept connections', STRING)
    .example('migrate test')
    .example('migrate test --db embedded')
    .example('migrate test --from 3f2a --keep')
    .action(run(async (ctx, flags: ScratchFlags) => {
      needsServer(ctx, 'test');
      const { testRoundTrips } = await import('./roundtrip.js');
      const options = { ...dbOptions(ctx, flags), from: last(flags.from), to: last(flags.to), keep: Boolean(flags.keep), scratchDb: last(flags.scratchDb) };
      const out = ctx.out;
      const render = (result: { ok: boolean; scratch: { name: string; kept: boolean }; revisions: { id: string; message: string; status: string; diff?: string }[] }, error?: SqlrevError) => {
        if (out.format === 'json') {
          out.json(error ? { ...result, error: error.toJSON() } : result);
          return;
        }
        const marks: Record<string, string> = { ok: out.c.green('ok'), failed: out.c.red('FAILED'), irreversible: out.c.yellow('irreversible: stepped over'), setup: out.c.dim('applied (before --from)'), 'not-run': out.c.dim('not run') };
        for (const r of result.revisions) out.result(`${r.id}  ${r.message}  ${marks[r.status]}`);
        if (result.scratch.kept) out.info(`scratch database kept: ${result.scratch.name}`);
      };
      try {
        const result = await withSignals((signal) => testRoundTrips({ ...options, signal }));
        render(result);
        return EXIT.ok;
      } catch (err) {
        const partial = (err as { result?: Parameters<typeof render>[0] }).result;
        if (partial && err instanceof SqlrevError) {
          render(partial, err);
          if (out.format === 'json') (err as { rendered?: boolean }).rendered = true;
        }
        throw err;
      }
    }));

  cli.command('drift', 'Compare the live schema with what its applied revisions build (exit 3 when someone changed it by hand)')
    .option(...SCRATCH_OPTION, STRING)
    .option('--wait <seconds>', 'Wait up to this long for the database to accept connections', STRING)
    .example('migrate drift')
    .example('migrate drift --json')
    .action(run(async (ctx, flags: ScratchFlags) => {
      needsServer(ctx, 'drift');
      const { drift } = await import('./drift.js');
      const r = await withSignals((signal) => drift({ ...dbOptions(ctx, flags, signal), scratchDb: last(flags.scratchDb) }));
      if (ctx.out.format === 'json') ctx.out.json({ ok: !r.drifted, ...r });
      else if (r.drifted) {
        ctx.out.result(r.diff.trimEnd());
        ctx.out.error(`${ctx.out.c.red('drift:')} ${r.database} differs from what its ${r.applied.length} applied revision(s) build (diff above: - expected, + live)`);
      } else ctx.out.info(`${ctx.out.c.green('no drift')}: ${r.database} matches its ${r.applied.length} applied revision(s)`);
      return r.drifted ? EXIT.verify : EXIT.ok;
    }));

  cli.command('dump <file>', 'Write the schema the migrations build (at their heads) to FILE, to commit beside them')
    .option(...SCRATCH_OPTION, STRING)
    .option('--wait <seconds>', 'Wait up to this long for the server to accept connections', STRING)
    .example('migrate dump schema.txt')
    .example('migrate verify --schema-file schema.txt   # in CI')
    .action(run(async (ctx, file: unknown, flags: ScratchFlags) => {
      needsServer(ctx, 'dump');
      const { schemaAtHeads } = await import('./drift.js');
      const text = await withSignals((signal) => schemaAtHeads({ ...dbOptions(ctx, flags, signal), scratchDb: last(flags.scratchDb) }));
      await writeFile(String(file), text);
      if (ctx.out.format === 'json') ctx.out.json({ ok: true, file: String(file), bytes: Buffer.byteLength(text) });
      else ctx.out.info(`wrote ${String(file)}`);
      return EXIT.ok;
    }));
}

/** verify --schema-file: the diff between the committed file and what the migrations build. */
export async function checkSchemaFileFor(ctx: Context, file: string): Promise<string> {
  needsServer(ctx, 'verify --schema-file');
  const { checkSchemaFile } = await import('./drift.js');
  return checkSchemaFile({ ...dbOptions(ctx, ctx.flags as DbFlags), scratchDb: last((ctx.flags as ScratchFlags).scratchDb) }, file);
}
