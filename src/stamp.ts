/**
 * Recording without running: `stamp` (adopt a database, or forget revisions)
 * and `rehash` (accept an intended edit of an applied file). Both hold the
 * lock and write their rows in one transaction.
 */
import { usageError } from './errors.js';
import { planDown } from './plan.js';
import { deleteRevision, insertRevision, logAction, updateChecksums } from './state.js';
import { parseTarget, resolveUpTarget } from './target.js';
import { compareApplied } from './verify.js';
import { checkDrift, graphWithState, loadSound, recordOf } from './checks.js';
import { withDefaults, withLockedSession, type DbOptions } from './session.js';

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
  return withLockedSession({ ...options, files: project.revisions }, async (session, state, runner) => {
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
  return withLockedSession({ ...options, files: project.revisions }, async (session, state, runner) => {
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

