/**
 * Applied revisions against their files (contract §5): which applied files
 * were edited since (with a unified diff of the stored text against the file),
 * and which applied revisions have no files any more. Pure.
 */
import { unifiedDiff } from './unified.js';
import type { Problem } from './errors.js';
import type { AppliedRow } from './state.js';
import type { Revision } from './types.js';

export interface Edit {
  revision: string;
  which: 'up' | 'down';
  file: string;
  storedChecksum: string;
  fileChecksum: string;
  /** First line of the file that differs from the stored text. */
  line: number;
  /** Unified diff: stored text (as applied) → file. */
  diff: string;
}

export interface Drift {
  edited: Edit[];
  /** Applied revisions whose files are gone. */
  missing: string[];
}

/** `unbuilt`: ids whose files exist but could not be read into revisions (unbuiltRevisions): neither missing nor compared. */
export function compareApplied(rows: Iterable<AppliedRow>, revisions: ReadonlyMap<string, Revision>, unbuilt: ReadonlySet<string> = new Set()): Drift {
  const edited: Edit[] = [];
  const missing: string[] = [];
  for (const row of rows) {
    const rev = revisions.get(row.id);
    if (!rev) {
      if (!unbuilt.has(row.id)) missing.push(row.id);
      continue;
    }
    for (const which of ['up', 'down'] as const) {
      const file = rev[which];
      const stored = which === 'up' ? row.upChecksum : row.downChecksum;
      if (stored === file.checksum) continue;
      const storedText = which === 'up' ? row.upText : row.downText;
      edited.push({
        revision: row.id, which, file: file.path, storedChecksum: stored, fileChecksum: file.checksum,
        line: firstDifferentLine(storedText, file.text),
        diff: unifiedDiff(`${file.path} (as applied)`, `${file.path} (now)`, storedText, file.text),
      });
    }
  }
  return { edited, missing };
}

/** The first line (1-based) at which two texts differ. */
export function firstDifferentLine(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  return Math.min(i + 1, Math.max(lb.length, 1));
}

/** Drift as problems (code, file, line, revision, message) for verify, --json and annotations. */
export function driftProblems(drift: Drift, rows: ReadonlyMap<string, AppliedRow>): Problem[] {
  const problems: Problem[] = drift.edited.map((e) => ({
    file: e.file, line: e.line, revision: e.revision, code: 'edited-file',
    message: `the ${e.which} file of applied revision ${e.revision} was edited after it was applied`,
    hint: `undo the edit and add a new revision instead; if the edit is intended, run: migrate rehash ${e.revision}`,
  }));
  for (const id of drift.missing) {
    const row = rows.get(id);
    problems.push({
      file: row?.upPath ?? undefined, revision: id, code: 'missing-file',
      message: `revision ${id} is applied to the database but its files are gone${row?.upPath ? ` (was ${row.upPath})` : ''}`,
      hint: 'restore the files from version control, or revert it with migrate down (its stored down text is used)',
    });
  }
  return problems;
}
