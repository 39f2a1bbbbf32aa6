/**
 * The docs cannot rot: every fenced block whose info string is exactly `sh`
 * in docs/*.md runs, in page order, under `bash -euo pipefail`, in a fresh
 * empty folder and a fresh database per page (DATABASE_URL), with `migrate`
 * on PATH. A block passes when it exits 0, or with the code its last line
 * declares (`# exit: N`). Output and commands that are not meant to run use
 * another info string (`text`, `console`, `yaml`, …).
 *
 * Pages run side by side (each has its own folder and database); the blocks
 * of one page run one after another, because later blocks build on earlier
 * ones. The examples use bash, git and jq besides `migrate`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, cleanEnv } from './support/cli.js';
import { createDatabase } from './support/pg.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
/** One block may take this long before it is killed and reported. */
const BLOCK_TIMEOUT_MS = 60_000;

export interface ShellBlock {
  /** 1-based line of the opening fence in the page. */
  line: number;
  code: string;
  /** The exit code the block must end with (`# exit: N` on its last line; default 0). */
  expect: number;
}

export interface Fence {
  line: number;
  info: string;
  code: string;
}

/** Every fenced code block of a Markdown text, with its info string and opening line. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, marker, rest] = open;
    if (marker[0] === '`' && rest.includes('`')) continue; // inline code, not a fence
    const close = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !close.test(lines[j]); j++) {
      // Content of an indented fence (inside a list item) loses that indentation.
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    if (j === lines.length) throw new Error(`line ${i + 1}: the code block opened here is never closed`);
    found.push({ line: i + 1, info: rest.trim(), code: body.join('\n') });
    i = j;
  }
  return found;
}

/** The blocks of a page that run: info string exactly `sh`. */
export function shellBlocks(markdown: string): ShellBlock[] {
  return fences(markdown).filter((f) => f.info === 'sh').map((f) => {
    const last = f.code.trimEnd().split('\n').at(-1) ?? '';
    const declared = /^#\s*exit:\s*(\d+)\s*$/.exec(last.trim());
    return { line: f.line, code: f.code, expect: declared ? Number(declared[1]) : 0 };
  });
}

/** Info strings that look like shell but would silently not run. */
function lookalikes(markdown: string): Fence[] {
  return fences(markdown).filter((f) => f.info !== 'sh' && /^(sh|bash|shell|zsh|shell-session)\b/i.test(f.info));
}

interface Page {
  name: string;
  blocks: ShellBlock[];
}

function docsPages(): Page[] {
  return readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => ({ name: `docs/${f}`, blocks: shellBlocks(readFileSync(path.join(DOCS, f), 'utf8')) }));
}

function firstLine(code: string): string {
  return code.split('\n').find((l) => l.trim() !== '')?.trim() ?? '(empty block)';
}

/** The last lines of a block's output, enough to see what went wrong. */
function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? [`… (${all.length - lines} earlier lines)`, ...all.slice(-lines)] : all).join('\n');
}

/** Run one block; resolves to its exit code (or a description of how it ended) and its output. */
function runBlock(script: string, log: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const fd = openSync(log, 'w');
    // stdout and stderr share one file, so the output reads in the order it was written.
    const child = spawn('bash', ['-euo', 'pipefail', script], { cwd, env, stdio: ['ignore', fd, fd], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, BLOCK_TIMEOUT_MS);
    const done = (code: number | string) => {
      clearTimeout(timer);
      closeSync(fd);
      // Background jobs a block left running end with it.
      killGroup(child.pid);
      resolve({ code: timedOut ? `killed after ${BLOCK_TIMEOUT_MS / 1000} s` : code, output: readFileSync(log, 'utf8') });
    };
    child.on('error', (err) => done(`could not start bash: ${err.message}`));
    child.on('exit', (code, signal) => done(code ?? `killed by ${signal}`));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group has already gone
  }
}

/** Run a page's blocks in order in a fresh folder and database; resolves to the failures (none: []). */
async function runPage(page: Page): Promise<string[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'sqlrev-docs-'));
  // mkdtemp makes the folder private; `--db embedded` run as root hands its
  // data folder to the postgres user, who must be able to reach it.
  chmodSync(root, 0o755);
  const work = path.join(root, 'work');
  const bin = path.join(root, 'bin');
  const scripts = path.join(root, 'blocks');
  const home = path.join(root, 'home');
  for (const dir of [work, bin, scripts, home]) mkdirSync(dir);
  writeFileSync(path.join(bin, 'migrate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  const failures: string[] = [];
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  try {
    db = await createDatabase();
    const env = cleanEnv({
      DATABASE_URL: db.url,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      // A neutral home: no personal git or psql settings change what the examples print.
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Docs Test', GIT_AUTHOR_EMAIL: 'docs@example.com',
      GIT_COMMITTER_NAME: 'Docs Test', GIT_COMMITTER_EMAIL: 'docs@example.com',
    });
    for (const [i, block] of page.blocks.entries()) {
      const script = path.join(scripts, `${i + 1}.sh`);
      writeFileSync(script, block.code + '\n');
      const r = await runBlock(script, path.join(scripts, `${i + 1}.log`), work, env);
      if (r.code !== block.expect) {
        failures.push(`${page.name}:${block.line}: the block starting "${firstLine(block.code)}" ended with ${typeof r.code === 'number' ? `exit ${r.code}` : r.code}, expected exit ${block.expect}\n--- output\n${tail(r.output)}`);
        break; // later blocks build on this one
      }
    }
  } catch (err) {
    failures.push(`${page.name}: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await db?.drop().catch((err) => failures.push(`${page.name}: could not drop its database: ${(err as Error).message}`));
    rmSync(root, { recursive: true, force: true });
  }
  return failures;
}

/** Run `jobs` with at most `n` at a time; each promise settles with its own result. */
function pooled<T>(jobs: (() => Promise<T>)[], n: number): Promise<T>[] {
  let next = 0;
  const results = jobs.map(() => {
    let settle!: (v: Promise<T>) => void;
    return { promise: new Promise<T>((r) => { settle = r; }), settle };
  });
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      const p = jobs[i]();
      results[i].settle(p);
      await p.catch(() => undefined);
    }
  };
  for (let k = 0; k < Math.min(n, jobs.length); k++) void worker();
  return results.map((r) => r.promise);
}

// ---------------------------------------------------------------------------

const extract = suite('docs: extracting examples');

extract('only blocks whose info string is exactly sh run, each with its line and expected exit', () => {
  const md = [
    '# Page', '', '```sh', 'migrate init', '```', '', '```text', 'output', '```', '',
    '```sh', 'migrate up +9', '# exit: 2', '```', '', '```sh title', 'not run', '```', '',
    '- a list', '  ```sh', '  migrate status', '  ```',
  ].join('\n');
  assert.equal(shellBlocks(md), [
    { line: 3, code: 'migrate init', expect: 0 },
    { line: 11, code: 'migrate up +9\n# exit: 2', expect: 2 },
    { line: 21, code: 'migrate status', expect: 0 },
  ]);
});

extract('a longer fence holds a shorter one, and ~~~ fences count', () => {
  const md = ['````sh', 'cat > x.md <<EOF', '```sh', 'inner', '```', 'EOF', '````', '~~~sh', 'echo tilde', '~~~'].join('\n');
  assert.equal(shellBlocks(md).map((b) => [b.line, b.code]), [
    [1, 'cat > x.md <<EOF\n```sh\ninner\n```\nEOF'],
    [8, 'echo tilde'],
  ]);
});

extract('an unclosed fence is an error naming its line', () => {
  assert.throws(() => fences('text\n```sh\nmigrate up\n'), /line 2: .*never closed/);
});

const pages = docsPages();

extract('no shell-looking block is left out by its info string (use sh to run, console or text for output)', () => {
  for (const f of readdirSync(DOCS).filter((n) => n.endsWith('.md'))) {
    const bad = lookalikes(readFileSync(path.join(DOCS, f), 'utf8'));
    assert.equal(bad.map((b) => `docs/${f}:${b.line} (${b.info})`), [], 'these blocks look like shell but do not run');
  }
});

extract.run();

const docs = suite('docs: every shell example runs');
let running: Map<string, Promise<string[]>> | undefined;

docs.before(() => {
  // Started here, not at import, so the pages do not compete with other test files' suites.
  const jobs = pages.filter((p) => p.blocks.length > 0).map((p) => () => runPage(p));
  const promises = pooled(jobs, Math.max(2, Math.min(4, availableParallelism())));
  running = new Map(pages.filter((p) => p.blocks.length > 0).map((p, i) => [p.name, promises[i]]));
});

for (const page of pages.filter((p) => p.blocks.length > 0)) {
  docs(`${page.name}: ${page.blocks.length} shell example(s) run as written`, async () => {
    const failures = await running!.get(page.name)!;
    assert.ok(failures.length === 0, failures.join('\n\n'));
  });
}

docs('the docs hold shell examples at all', () => {
  assert.ok(pages.some((p) => p.blocks.length > 0), `no \`\`\`sh blocks found in ${DOCS}`);
});

docs.run();
