/**
 * Checks every database command makes before it changes anything: the
 * folder is sound, the recorded state is closed, applied files are unedited,
 * and the SQL about to run is SQL sqlrev can run as the file says.
 */
import { EXIT, SqlrevError, usageError, verifyError, type Problem } from './errors.js';
import { Graph } from './graph.js';
import { parseHeaders } from './headers.js';
import { checkApplied } from './plan.js';
import { assertFullyRead, loadProject, unbuiltRevisions, type Project } from './project.js';
import { isCopyFromStdin, splitSql } from './split.js';
import { classifyStatement } from './classify.js';
import type { AppliedRow, RevisionRecord, State } from './state.js';
import type { Step } from './run.js';
import type { Hooks } from './session.js';
import { compareApplied, driftProblems, type Drift } from './verify.js';
import type { Revision } from './types.js';

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
/** The graph of the files extended with applied revisions whose files are gone. */
export function graphWithState(project: Project, rows: ReadonlyMap<string, AppliedRow>): Graph {
  const missing = [...rows.values()].filter((r) => !project.revisions.has(r.id));
  if (missing.length === 0) return project.graph;
  // Revisions whose files could not be made into revisions stay in, as in the files' own graph (Project.graph).
  const unread = [...unbuiltRevisions(project)].filter((id) => !rows.has(id)).map((id) => ({ id, parents: project.graph.parents(id) }));
  return Graph.build([...project.revisions.values(), ...missing.map((r) => ({ id: r.id, parents: r.parents })), ...unread]).graph;
}

export function checkState(graph: Graph, state: State): void {
  const problems = checkApplied(graph, state.rows.keys());
  if (problems.length) {
    throw verifyError('inconsistent-state', 'the revisions recorded in the database do not form a closed history', {
      problems, hint: 'a parent header of an applied revision may have been edited; run migrate status and migrate verify',
    });
  }
}

/** Checksums of applied revisions against their files: refuse on an edit unless --skip-verify. */
export function checkDrift(project: Project, state: State, hooks: Hooks, skip: boolean): Drift {
  assertFullyRead(project, 'checking applied revisions against their files');
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
    // Each of these is mended by editing the file; the file of an applied revision must then be accepted.
    const mend = (hint: string): string => step.appliedFile
      ? `${hint}; revision ${step.id} is applied, so accept the edited down file with: migrate rehash ${step.id}`
      : hint;
    for (const m of metaCommands) {
      problems.push({ file: step.file, line: m.line, revision: step.id, code: 'psql-meta-command',
        message: `"${m.text}" is a psql meta-command, not SQL; sqlrev does not run it`,
        hint: mend(m.text.startsWith('\\restrict') || m.text.startsWith('\\unrestrict')
          ? 'pg_dump writes \\restrict lines for psql: delete them from the migration'
          : 'replace it with plain SQL (for \\i, paste the file\'s contents)') });
    }
    for (const s of statements) {
      if (!isCopyFromStdin(s.text)) continue;
      problems.push({ file: step.file, line: s.line, revision: step.id, code: 'copy-from-stdin',
        message: 'COPY … FROM stdin needs psql to feed it data; sqlrev sends SQL only',
        hint: mend('load the rows with INSERT statements, or COPY from a server-side file') });
    }
    if (!step.transactional) continue;
    for (const s of statements) {
      const kind = classifyStatement(s.text);
      if (kind === 'transaction-control') {
        problems.push({ file: step.file, line: s.line, revision: step.id, code: 'transaction-control',
          message: `"${firstLine(s.text)}" controls the transaction, but sqlrev runs each revision in its own transaction`,
          hint: mend('remove it: the revision is atomic already (or mark the file "-- transaction: false")') });
      } else if (kind === 'no-transaction') {
        problems.push({ file: step.file, line: s.line, revision: step.id, code: 'needs-no-transaction',
          message: `"${firstLine(s.text)}" cannot run inside a transaction block`,
          hint: mend('add "-- transaction: false" to this file\'s headers and make its statements safe to repeat') });
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
