/**
 * `migrate verify --base REF`: revisions that already existed at a git
 * revision (the target branch) must be unchanged in the working tree. It is
 * the check Atlas's atlas.sum gives, with git as the record: no extra file to
 * keep in sync, and it runs in CI before any database sees the change.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { unifiedDiff } from './unified.js';
import { usageError, type Problem } from './errors.js';
import { readRevisions, type FileEntry } from './files.js';
import { assertFullyRead, type Project } from './project.js';
import { firstDifferentLine } from './verify.js';

const run = promisify(execFile);

/** The migration files of `dir` as they are at `ref`, read with git. */
export async function filesAtRef(ref: string, dir: string, cwd = process.cwd()): Promise<FileEntry[]> {
  let top: string;
  try {
    top = (await run('git', ['rev-parse', '--show-toplevel'], { cwd })).stdout.trim();
    await run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd });
  } catch (err) {
    const notRepo = /not a git repository/i.test(String((err as { stderr?: string }).stderr ?? err));
    throw usageError('bad-base', notRepo ? `--base needs a git repository, and ${cwd} is not in one` : `--base ${ref}: no such git revision`, {
      hint: notRepo ? 'run verify --base inside the repository' : 'in CI, fetch the target branch first (e.g. git fetch origin main) and pass --base origin/main',
    });
  }
  const listing = await run('git', ['ls-tree', '-r', '-z', '--full-name', '--name-only', ref, '--', dir], { cwd, maxBuffer: 1 << 30 });
  const names = listing.stdout.split('\0').filter((n) => n.endsWith('.sql'));
  if (names.length === 0) return [];
  const blobs = await catFiles(top, names.map((n) => `${ref}:${n}`));
  return names.map((name, i) => ({ path: path.relative(cwd, path.join(top, name)), bytes: blobs[i] }));
}

/** Read many blobs in one `git cat-file --batch` process. */
function catFiles(cwd: string, specs: string[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file exited with ${code}`));
      const out = Buffer.concat(chunks);
      const blobs: Buffer[] = [];
      let at = 0;
      for (const spec of specs) {
        const nl = out.indexOf(0x0a, at);
        const header = out.toString('utf8', at, nl);
        const size = Number(header.split(' ')[2]);
        if (!Number.isFinite(size)) return reject(new Error(`git cat-file: ${header} (${spec})`));
        blobs.push(out.subarray(nl + 1, nl + 1 + size));
        at = nl + 1 + size + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(specs.join('\n') + '\n');
  });
}

export interface BaseChange {
  revision: string;
  kind: 'edited' | 'deleted';
  which?: 'up' | 'down';
  file: string;
  diff?: string;
}

/** Revisions present at the base that were edited or deleted since. Pure. */
export function compareWithBase(base: FileEntry[], project: Project): { changes: BaseChange[]; problems: Problem[] } {
  assertFullyRead(project, 'verify --base');
  const then = readRevisions(base).revisions;
  const changes: BaseChange[] = [];
  const problems: Problem[] = [];
  for (const old of then) {
    const now = project.revisions.get(old.id);
    if (!now) {
      // The revision may be gone, or only unusable now (a file deleted, a header broken): say which.
      const own = project.problems.filter((p) => p.revision === old.id).map((p) => p.code);
      const what = own.includes('missing-down-file') ? 'its down file was deleted'
        : own.includes('missing-up-file') ? 'its up file was deleted'
        : own.length ? `its files now have problems (${own.join(', ')})`
        : 'it was deleted';
      changes.push({ revision: old.id, kind: 'deleted', file: old.up.path });
      problems.push({ file: old.up.path, line: 1, revision: old.id, code: 'deleted-since-base',
        message: `revision ${old.id} exists on the base branch, but ${what}`,
        hint: 'revisions that may have been applied anywhere stay; to undo one, add a new revision' });
      continue;
    }
    for (const which of ['up', 'down'] as const) {
      if (old[which].checksum === now[which].checksum) continue;
      const diff = unifiedDiff(`${old[which].path} (base)`, `${now[which].path} (now)`, old[which].text, now[which].text);
      changes.push({ revision: old.id, kind: 'edited', which, file: now[which].path, diff });
      problems.push({ file: now[which].path, line: firstDifferentLine(old[which].text, now[which].text), revision: old.id, code: 'edited-since-base',
        message: `the ${which} file of revision ${old.id} differs from the base branch`,
        hint: 'revisions that already exist on the base branch may be applied somewhere: put the change in a new revision' });
    }
  }
  return { changes, problems };
}

/** verify --base: the folder's revisions at `ref` against the working tree. */
export async function checkAgainstBase(ref: string, dir: string, project: Project): Promise<{ changes: BaseChange[]; problems: Problem[] }> {
  return compareWithBase(await filesAtRef(ref, dir), project);
}
