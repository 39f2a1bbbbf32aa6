/**
 * `migrate test`: prove every revision's down on a scratch database. For each
 * revision in order: snapshot, up, down, snapshot again — the two must be
 * identical — then up again (an up that cannot run twice after its down fails
 * here, not in production). Irreversible revisions are stepped over.
 */
import { unifiedDiff } from './unified.js';
import { loadSound, precheck, type DbOptions } from './engine.js';
import { EXIT, SqlrevError } from './errors.js';
import { createScratch, downStep, scratchRunner, upStep } from './scratch.js';
import { snapshot } from './snapshot.js';

export interface RoundTripOptions extends DbOptions {
  from?: string;
  to?: string;
  keep?: boolean;
  scratchDb?: string;
}

export interface RoundTripReport {
  id: string;
  message: string;
  /** ok: down undid up; irreversible: stepped over; failed: see diff or error; setup: applied before --from. */
  status: 'ok' | 'failed' | 'irreversible' | 'setup' | 'not-run';
  diff?: string;
  error?: string;
}

export interface RoundTripResult {
  ok: boolean;
  scratch: { name: string; kept: boolean };
  revisions: RoundTripReport[];
}

export async function testRoundTrips(options: RoundTripOptions): Promise<RoundTripResult> {
  const dir = options.dir ?? 'migrations';
  const schema = options.schema ?? 'sqlrev';
  const project = await loadSound(dir);
  const graph = project.graph;
  const upTo = options.to ? graph.ancestors([graph.resolve(options.to)], true) : new Set(graph.order);
  const from = options.from ? graph.descendants([graph.resolve(options.from)], true) : new Set(graph.order);
  const order = graph.order.filter((id) => upTo.has(id));
  const revisions = order.map((id) => project.revisions.get(id)!);
  // Refuse what would be refused in production, before creating anything.
  precheck(revisions.flatMap((r) => [upStep(r), ...(r.irreversible ? [] : [downStep(r)])]), false);

  const reports: RoundTripReport[] = revisions.map((r) => ({ id: r.id, message: r.message, status: 'not-run' }));
  const scratch = await createScratch({ ...options, dir, schema }, options.scratchDb);
  const keep = Boolean(options.keep) || !scratch.created;
  let failure: SqlrevError | undefined;
  try {
    await scratchRunner(scratch.options, schema, options.signal, async (run, sql) => {
      const shot = async () => (await snapshot(sql, { excludeSchemas: [schema] })).text;
      for (const [i, rev] of revisions.entries()) {
        const report = reports[i];
        const started = performance.now();
        try {
          if (!from.has(rev.id)) {
            await run(upStep(rev));
            report.status = 'setup';
          } else if (rev.irreversible) {
            await run(upStep(rev));
            report.status = 'irreversible';
          } else {
            const before = await shot();
            await run(upStep(rev));
            await run(downStep(rev));
            const after = await shot();
            if (after !== before) {
              report.status = 'failed';
              report.diff = unifiedDiff(`schema before up of ${rev.id}`, `schema after up and down of ${rev.id}`, before, after);
              failure = new SqlrevError('round-trip-failed', EXIT.verify, `the down of ${rev.id} (${rev.down.path}) does not undo its up:\n${report.diff}`, {
                file: rev.down.path, revision: rev.id,
                hint: 'make the down file drop or restore exactly what the up file creates or changes',
              });
              return;
            }
            await run(upStep(rev));
            report.status = 'ok';
          }
        } catch (err) {
          report.status = 'failed';
          report.error = (err as Error).message;
          failure = err instanceof SqlrevError ? err : new SqlrevError('round-trip-failed', EXIT.sqlFailed, String(err));
          return;
        }
        options.hooks?.info?.(`${report.status === 'ok' ? 'tested' : report.status === 'setup' ? 'applied' : 'stepped over'} ${rev.id} (${(performance.now() - started).toFixed(0)} ms) [${i + 1}/${revisions.length}]`);
      }
    });
  } finally {
    await scratch.drop(keep);
  }
  const result: RoundTripResult = { ok: failure === undefined, scratch: { name: scratch.name, kept: keep }, revisions: reports };
  if (failure) {
    (failure as SqlrevError & { result?: RoundTripResult }).result = result;
    throw failure;
  }
  return result;
}
