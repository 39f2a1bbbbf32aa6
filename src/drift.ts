/**
 * What the migrations say the schema is, against what a database has:
 * `migrate drift` (the live database against its own applied revisions, each
 * replayed from its stored text on a scratch database), `migrate dump` and
 * `verify --schema-file` (the schema the migrations build at their heads).
 */
import { readFile } from 'node:fs/promises';
import { unifiedDiff } from './unified.js';
import { headerFacts, graphWithState, loadSound, withReadSession, type DbOptions } from './engine.js';
import { planUp } from './plan.js';
import { createScratch, scratchRunner, upStep } from './scratch.js';
import { snapshot } from './snapshot.js';
import type { AppliedRow } from './state.js';
import type { Step } from './run.js';

export interface ScratchOptions extends DbOptions {
  scratchDb?: string;
}

export interface DriftResult {
  drifted: boolean;
  applied: string[];
  /** Unified diff: expected (replayed revisions) → live database. */
  diff: string;
  database: string;
}

/** The schema built on a scratch database by running `steps` in order. */
async function buildExpected(options: ScratchOptions, schema: string, steps: Step[]): Promise<string> {
  const scratch = await createScratch(options, options.scratchDb);
  try {
    return await scratchRunner(scratch.options, schema, options.signal, async (run, sql) => {
      for (const step of steps) await run(step);
      return (await snapshot(sql, { excludeSchemas: [schema] })).text;
    });
  } finally {
    await scratch.drop(!scratch.created);
  }
}

/** Replay the live database's applied revisions (their stored up texts) and compare schemas. */
export async function drift(options: ScratchOptions): Promise<DriftResult> {
  const dir = options.dir ?? 'migrations';
  const schema = options.schema ?? 'sqlrev';
  const project = await loadSound(dir);
  const live = await withReadSession({ ...options, dir, schema }, async (session, state) => ({
    rows: state.rows,
    text: (await snapshot(session.conn.sql, { excludeSchemas: [schema] })).text,
    database: session.conn.where,
  }));
  const graph = graphWithState(project, live.rows);
  const applied = graph.sortTopo(live.rows.keys());
  const steps = applied.map((id) => storedUpStep(live.rows.get(id)!));
  const expected = await buildExpected({ ...options, dir, schema }, schema, steps);
  const drifted = expected !== live.text;
  return {
    drifted, applied, database: live.database,
    diff: drifted ? unifiedDiff('expected (applied revisions replayed)', `live database`, expected, live.text) : '',
  };
}

function storedUpStep(row: AppliedRow): Step {
  return { id: row.id, direction: 'up', file: `${row.upPath ?? row.id} (as applied)`, text: row.upText, transactional: headerFacts(row.upText, row.upPath ?? row.id).transactional, record: row };
}

/** The schema the migrations build when every revision up to the heads is applied. */
export async function schemaAtHeads(options: ScratchOptions): Promise<string> {
  const dir = options.dir ?? 'migrations';
  const schema = options.schema ?? 'sqlrev';
  const project = await loadSound(dir);
  const steps = planUp(project.graph, new Set(), 'heads').steps.map((id) => upStep(project.revisions.get(id)!));
  return buildExpected({ ...options, dir, schema }, schema, steps);
}

/** Compare a committed schema file with what the migrations build; the diff is empty when they match. */
export async function checkSchemaFile(options: ScratchOptions, file: string): Promise<string> {
  const [expected, committed] = await Promise.all([schemaAtHeads(options), readFile(file, 'utf8')]);
  return expected === committed ? '' : unifiedDiff(`${file} (committed)`, `${file} (built from the migrations)`, committed, expected);
}
