/**
 * Writing new files: `migrate new`, `migrate merge`, `migrate init`.
 * The templates and the choice of parents are pure; `writePair` and
 * `initProject` do the disk work and never overwrite a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError, verifyError } from './errors.js';
import { isToken } from './pairs.js';
import type { Project } from './project.js';

export interface NewOptions {
  message: string;
  parents?: readonly string[];
  id?: string;
  transactional?: boolean;
}

export interface WrittenPair {
  id: string;
  parents: string[];
  up: string;
  down: string;
}

/** 12 random lowercase hex digits (contract §1). */
export function generateId(): string {
  return randomBytes(6).toString('hex');
}

/** Latin letters that NFKD does not split into a letter and an accent, spelled in ASCII. */
const LATIN_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', þ: 'th' };

/** `Add users table!` → `add_users_table`; at most 40 characters, never empty. */
export function slugify(message: string): string {
  const slug = message
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '') // the accents NFKD split off: "é" → "e", not "e_"
    .replace(/[ßæœøłđþ]/g, (ch) => LATIN_LETTERS[ch]) // letters NFKD leaves whole
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40)
    .replace(/_+$/, '');
  return slug || 'revision';
}

/** Refuse to build on a folder whose graph cannot be trusted. */
function assertSound(project: Project, what: string): void {
  if (project.problems.length === 0) return;
  throw verifyError('folder-has-problems', `cannot ${what}: ${project.dir} has ${project.problems.length} problem(s)`, {
    problems: project.problems,
    hint: 'fix them first (migrate verify lists them)',
  });
}

/** The parents of a new revision: the given ones resolved, else the single head, else base. */
export function chooseParents(project: Project, given: readonly string[] | undefined): string[] {
  if (given && given.length > 0) {
    if (given.length === 1 && given[0] === 'base') return [];
    const resolved = given.map((ref) => project.graph.resolve(ref));
    return [...new Set(resolved)];
  }
  const heads = project.graph.heads;
  if (heads.length <= 1) return [...heads];
  throw usageError('multiple-heads', `the history has ${heads.length} heads: ${heads.join(', ')}; a new revision needs one parent`, {
    candidates: [...heads],
    hint: `pick one with --parent ${heads[0]}, or join them first with migrate merge`,
  });
}

function checkNewId(project: Project, id: string): void {
  if (!isToken(id)) {
    throw usageError('bad-id', `"${id}" is not a valid revision id: use letters and digits only`, { hint: 'e.g. --id 0001' });
  }
  if (project.revisions.has(id) || project.graph.has(id)) {
    throw usageError('duplicate-id', `revision id ${id} is already used`, { revision: id, hint: 'choose another --id, or leave it out to generate one' });
  }
}

export function upTemplate(parents: readonly string[], message: string, transactional: boolean, body: string): string {
  const lines = [
    `-- parent: ${parents.length ? parents.join(' ') : 'base'}`,
    `-- message: ${message}`,
  ];
  if (!transactional) lines.push('-- transaction: false');
  return `${lines.join('\n')}\n\n${body}\n`;
}

export function downTemplate(id: string, message: string, transactional: boolean, body: string): string {
  const lines = [`-- Reverts ${id} (${message}).`];
  if (!transactional) lines.push('-- transaction: false');
  return `${lines.join('\n')}\n\n${body}\n`;
}

const UP_BODY = '-- Write the SQL that applies this revision below.';
const UP_BODY_NO_TX = '-- Write the SQL that applies this revision below. It runs statement by statement\n-- outside a transaction, so each statement should be safe to run twice.';
const DOWN_BODY = '-- Write the SQL that undoes the up file below, or, if it cannot be undone,\n-- replace this file with one line of the form  -- irreversible: <reason>';

/** The message goes into a `--` comment line: a line break would turn the rest into SQL that runs. */
function oneLine(message: string): string {
  if (/[\r\n]/.test(message)) throw usageError('bad-message', 'a revision message must be one line', { hint: 'put longer explanations in comments in the up file' });
  return message;
}

/** `migrate new`: write a pair whose parent is the single head (or the given parents). */
export async function newRevision(project: Project, options: NewOptions): Promise<WrittenPair> {
  assertSound(project, 'add a revision');
  const message = oneLine(options.message.trim());
  if (!message) throw usageError('missing-message', 'a new revision needs a message', { hint: 'migrate new "add users table"' });
  const id = options.id ?? uniqueId(project);
  checkNewId(project, id);
  const parents = chooseParents(project, options.parents);
  const transactional = options.transactional ?? true;
  return writePair(project.dir, id, slugify(message), parents,
    upTemplate(parents, message, transactional, transactional ? UP_BODY : UP_BODY_NO_TX),
    downTemplate(id, message, transactional, DOWN_BODY));
}

/** `migrate merge`: an empty revision whose parents are the heads (or the given ids). */
export async function mergeRevision(project: Project, options: { message?: string; ids?: readonly string[]; id?: string }): Promise<WrittenPair> {
  assertSound(project, 'merge');
  const parents = options.ids && options.ids.length > 0
    ? [...new Set(options.ids.map((ref) => project.graph.resolve(ref)))]
    : [...project.graph.heads];
  if (parents.length < 2) {
    throw usageError('nothing-to-merge', parents.length === 1
      ? `there is only one head (${parents[0]}): nothing to merge`
      : 'a merge needs at least two revisions', {
      candidates: parents,
      hint: options.ids?.length ? 'name two or more revisions: migrate merge <id> <id>' : 'migrate merge joins branches; the history has none',
    });
  }
  const message = oneLine(options.message?.trim() || 'merge branches');
  const id = options.id ?? uniqueId(project);
  checkNewId(project, id);
  return writePair(project.dir, id, slugify(options.message?.trim() || 'merge'), parents,
    upTemplate(parents, message, true, '-- A merge revision joins branches; it usually holds no SQL.'),
    downTemplate(id, message, true, '-- Nothing to undo for a merge revision that holds no SQL.'));
}

function uniqueId(project: Project): string {
  for (;;) {
    const id = generateId();
    if (!project.graph.has(id)) return id;
  }
}

async function writePair(dir: string, id: string, slug: string, parents: string[], up: string, down: string): Promise<WrittenPair> {
  await mkdir(dir, { recursive: true });
  const stem = path.join(dir, `${id}_${slug}`);
  const upPath = `${stem}.up.sql`;
  const downPath = `${stem}.down.sql`;
  // 'wx' never overwrites: a clash is an error, not lost work.
  await writeFile(upPath, up, { flag: 'wx' });
  await writeFile(downPath, down, { flag: 'wx' });
  return { id, parents, up: upPath, down: downPath };
}

const FOLDER_README = `# Migrations

Each revision is a pair of files written by \`migrate new "<message>"\`:

    <id>_<slug>.up.sql     applies the change
    <id>_<slug>.down.sql   undoes it

The up file starts with header comments:

    -- parent: base                 (the first revision)
    -- parent: <id>                 (the revision it follows)
    -- parent: <id> <id>            (a merge of two branches)
    -- message: add users table
    -- transaction: false           (run outside a transaction, e.g. CREATE INDEX CONCURRENTLY)

A down file that cannot undo its change says so with
\`-- irreversible: <reason>\`.

Never edit a file that has been applied to a database: add a new revision.
\`migrate verify\` checks this folder; \`migrate history --graph\` draws it.
`;

/** `migrate init`: a config file and an empty migrations folder with a README. */
export async function initProject(cwd: string, dir: string, schema: string): Promise<string[]> {
  const written: string[] = [];
  const configPath = path.join(cwd, 'sqlrev.json');
  // The schema file gives editors completion for the keys.
  const config = JSON.stringify({ $schema: './node_modules/sqlrev/sql/sqlrev.schema.json', dir, schema }, null, 2) + '\n';
  try {
    await writeFile(configPath, config, { flag: 'wx' });
    written.push(configPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const folder = path.resolve(cwd, dir);
  await mkdir(folder, { recursive: true });
  const readme = path.join(folder, 'README.md');
  try {
    await writeFile(readme, FOLDER_README, { flag: 'wx' });
    written.push(readme);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return written.map((p) => path.relative(cwd, p));
}
