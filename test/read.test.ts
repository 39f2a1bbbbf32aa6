/**
 * The folder reader's disk access (src/read.ts): slabs that grow for files
 * larger than them, pipes read past short reads, readFolder reading exactly
 * what readFileSync does, errors included, and the same result when a
 * worker thread shares the reading, fails to start or dies.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readRevisions, type ReadResult } from '../src/files.js';
import { loadFolder, readEntries, readFolder } from '../src/folder.js';
import { CHUNK, mountsBelow, readFiles, SharedReading, shortReadsEndUnder, SlabReader, startReadingThread, type ChunkMessage, type ReadingThread, type ReadOutcome, type ReadStats } from '../src/read.js';
import { tempProject } from './support/folder.js';

const t = suite('read');

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

for (const trusting of [false, true]) {
  t(`files larger than the slab are read whole, and earlier views stay intact${trusting ? ', trusting short reads' : ''}`, () => {
    const p = tempProject();
    try {
      const sizes = [0, 1, 15, 16, 17, 40, 1000, 3, 64, 5000, 2];
      const files = sizes.map((n, i) => {
        const file = path.join(p.dir, `f${i}.bin`);
        writeFileSync(file, bytes(n, i));
        return file;
      });
      // A 16-byte slab, a new one when fewer than 4 bytes are left: every growth path runs.
      // (Trusting short reads, a read that fills the room it was given is not short: the file goes on.)
      const reader = new SlabReader(trusting, 16, 4);
      const views = files.map((f) => reader.read(f));
      views.forEach((v, i) => assert.equal(Buffer.from(v), Buffer.from(bytes(sizes[i], i)), `file ${i} (${sizes[i]} bytes)`));
    } finally {
      p.cleanup();
    }
  });
}

t('a pipe is read to its end, past short reads', async () => {
  const p = tempProject();
  try {
    const fifo = path.join(p.dir, 'pipe.sql');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo here
    // Three writes with pauses: the reader gets short reads before the end.
    const writer = spawn('sh', ['-c', '(printf a; sleep 0.2; printf b; sleep 0.2; printf c) > "$0"', fifo]);
    const got = new SlabReader(false, 16, 4).read(fifo);
    await new Promise((resolve) => writer.on('exit', resolve));
    assert.is(Buffer.from(got).toString(), 'abc');
  } finally {
    p.cleanup();
  }
});

t('trusting short reads stops at the first one: which is why a pipe in the folder is read the careful way', async () => {
  const p = tempProject({ '0001_a.up.sql': '-- parent: base\n', '0001_a.down.sql': 'select 1;\n' });
  try {
    const fifo = path.join(p.dir, 'pipe.sql');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo here
    // Writes "a", then holds the pipe open (exec: the one process that has it) until killed.
    const holder = spawn('sh', ['-c', 'exec 3>"$0"; printf a >&3; exec sleep 60', fifo]);
    try {
      assert.is(Buffer.from(new SlabReader(true).read(fifo)).toString(), 'a');
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.on('exit', resolve));
    }
    // readEntries sees the pipe is no regular file and reads it until a read returns nothing.
    const writer = spawn('sh', ['-c', '(printf a; sleep 0.2; printf b; sleep 0.2; printf c) > "$0"', fifo]);
    const entries = await readEntries(p.dir, { contents: false });
    await new Promise((resolve) => writer.on('exit', resolve));
    assert.is(Buffer.from(entries.find((e) => e.path === fifo)!.bytes!).toString(), 'abc');
  } finally {
    p.cleanup();
  }
});

t('mount points below a folder are found in mountinfo, escapes and all', () => {
  const info = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '40 22 0:35 / /srv/app/migrations rw,relatime shared:2 - ext4 /dev/vdb rw',
    '41 22 0:36 / /srv/app/migrations2/x rw - nfs4 host:/x rw',
    '42 22 8:1 /data/one.sql /srv/my\\040app/migrations/0001_a.up.sql rw - fuse.grpcfuse grpcfuse rw',
    '',
  ].join('\n');
  assert.is(mountsBelow(info, '/srv/app/migrations'), false, 'a mount at the folder itself is the folder');
  assert.is(mountsBelow(info, '/srv/app'), true, 'the migrations mount is below /srv/app');
  assert.is(mountsBelow(info, '/srv/my app/migrations'), true, 'a file mounted in, its path escaped');
  assert.is(mountsBelow(info, '/srv/my app/other'), false);
  assert.is(mountsBelow(info, '/'), true, 'everything is below the root');
});

t('short reads are trusted only on a listed local file system with nothing mounted below', () => {
  const p = tempProject();
  p.cleanup();
  assert.is(shortReadsEndUnder(p.dir), false, 'a folder that is gone');
  if (process.platform !== 'linux') return void assert.is(shortReadsEndUnder('.'), false, 'only on Linux');
  assert.is(shortReadsEndUnder('/proc'), false, 'procfs is not listed');
  assert.is(shortReadsEndUnder('/'), false, 'file systems are mounted below the root');
});

t('a file mounted into the folder turns the trust off', () => {
  if (process.platform !== 'linux' || spawnSync('unshare', ['-m', 'true']).status !== 0) {
    return void process.stderr.write('read: no private mount namespace here (unshare -m): mounted file not checked\n');
  }
  const p = tempProject({ '0001_a.up.sql': '-- parent: base\n', '0001_a.down.sql': 'select 1;\n' });
  try {
    const elsewhere = path.join(p.cwd, 'elsewhere.sql');
    writeFileSync(elsewhere, 'select 2;\n');
    const probe = `const { shortReadsEndUnder } = await import(${JSON.stringify(new URL('../src/read.js', import.meta.url).href)}); process.stdout.write(String(shortReadsEndUnder(${JSON.stringify(p.dir)})));`;
    const run = (mount: boolean) => spawnSync('unshare', ['-m', 'sh', '-c', `${mount ? 'mount --bind "$1" "$2" && ' : ''}exec "$0" --input-type=module -e "$3"`, process.execPath, elsewhere, path.join(p.dir, '0001_a.down.sql'), probe], { encoding: 'utf8' });
    const mounted = run(true);
    assert.is(mounted.status, 0, mounted.stderr);
    assert.is(mounted.stdout.trim(), 'false', 'a file mounted in');
    if (process.platform === 'linux' && [0xef53, 0x01021994].includes(statfsSync(p.dir).type)) assert.is(run(false).stdout.trim(), 'true', 'the same folder without it');
  } finally {
    p.cleanup();
  }
});

t('readEntries reads each file once when nothing is kept, and until a read returns nothing otherwise', async () => {
  const files: Record<string, string> = { '0003_big.up.sql': '-- parent: base\n' + 'select 1;\n'.repeat(300_000) };
  for (let i = 4; i < 300; i++) files[`${String(i).padStart(4, '0')}_r.${i % 2 ? 'up' : 'down'}.sql`] = `-- parent: x\n${'select 1;'.repeat(i)}\n`;
  const p = tempProject(files);
  try {
    const n = Object.keys(files).length;
    const count = async (contents: boolean) => {
      const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
      const entries = await readEntries(p.dir, { contents, stats });
      for (const e of entries) assert.ok(e.bytes && Buffer.from(e.bytes).equals(readFileSync(e.path)), e.path);
      return stats.reads;
    };
    const careful = await count(true);
    assert.ok(careful >= 2 * n, `contents kept: each file read until a read returns nothing (${careful} reads)`);
    // A folder made just now has nothing mounted below it: on ext4 or tmpfs (the usual homes of the
    // temporary folder on Linux) short reads must be trusted; elsewhere this cannot be known here.
    const usual = process.platform === 'linux' && [0xef53, 0x01021994].includes(statfsSync(p.dir).type);
    if (!usual) return void process.stderr.write(`read: ${p.dir} is not on ext4 or tmpfs: one read per file not checked\n`);
    assert.ok(shortReadsEndUnder(p.dir), 'a fresh folder on ext4 or tmpfs');
    // The 3 MB file outgrows slabs and takes more reads either way; every file saves exactly the last one.
    assert.is(careful - (await count(false)), n, 'nothing kept: a short read is the end');
  } finally {
    p.cleanup();
  }
});

t('readFolder gives what readFileSync reads, file by file', async () => {
  const files: Record<string, string | Uint8Array> = {
    '0001_a.up.sql': '\ufeff-- parent: base\r\nselect 1;\r\n',
    '0001_a.down.sql': Uint8Array.from([0x73, 0x65, 0xff, 0x0a]),
    'sub/0002_b.up.sql': '-- parent: 0001\nselect \0;\n',
    'sub/0002_b.down.sql': '',
    // Larger than a slab (1 MB): grows into a slab of its own.
    '0003_big.up.sql': '-- parent: 0002\n' + 'select 1;\n'.repeat(300_000),
  };
  for (let i = 4; i < 300; i++) files[`${String(i).padStart(4, '0')}_r.up.sql`] = `-- parent: ${String(i - 1).padStart(4, '0')}\nselect ${i};\n`;
  const p = tempProject(files);
  try {
    symlinkSync('0001_a.up.sql', path.join(p.dir, 'link.up.sql'));
    symlinkSync('gone.sql', path.join(p.dir, 'gone.down.sql'));
    const got = await readFolder(p.dir);
    assert.is(got.length, Object.keys(files).length + 2);
    for (const e of got) {
      let expected: Buffer | undefined;
      try {
        expected = readFileSync(e.path);
      } catch (err) {
        assert.is(e.readError, (err as Error).message, e.path);
      }
      if (expected) assert.ok(e.bytes && Buffer.from(e.bytes).equals(expected), e.path);
    }
    assert.ok(got.find((e) => e.path.endsWith('gone.down.sql'))!.readError);
    assert.is(got.find((e) => e.path.endsWith('0003_big.up.sql'))!.bytes!.length, Buffer.byteLength(files['0003_big.up.sql'] as string));
  } finally {
    p.cleanup();
  }
});

/**
 * A list of CHUNK × 6 paths: real files of different sizes, missing files,
 * and two named pipes at the start of the first two chunks (`first`,
 * `second`), which the caller feeds. What readFileSync says of each path
 * is the expected result (a pipe's: `pipeText`).
 */
function mixedList(dir: string): { files: string[]; first: string; second: string } {
  const kinds = [0, 1, 100, 5000, 70_000];
  const real = kinds.map((n, i) => {
    const file = path.join(dir, `r${i}.sql`);
    writeFileSync(file, bytes(n, i));
    return file;
  });
  const files: string[] = [];
  for (let i = 0; i < CHUNK * 6; i++) files.push(i % 7 === 3 ? path.join(dir, `missing${i}.sql`) : real[i % real.length]);
  const first = path.join(dir, 'first.sql');
  const second = path.join(dir, 'second.sql');
  for (const fifo of [first, second]) if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed');
  files[0] = first;
  files[CHUNK] = second;
  return { files, first, second };
}

function assertSameAsReadFileSync(got: ReadOutcome[], files: readonly string[], pipes: Record<string, string>): void {
  assert.is(got.length, files.length);
  // Over the indices, not got.forEach, which would skip entries never filled in.
  files.forEach((file, i) => {
    assert.ok(i in got && got[i] !== undefined, `entry ${i} (${file}) was never read`);
    const g = got[i];
    if (file in pipes) return assert.is(Buffer.from(g as Uint8Array).toString(), pipes[file], file);
    let expected: Buffer;
    try {
      expected = readFileSync(file);
    } catch (err) {
      return assert.is(g, (err as Error).message, file);
    }
    assert.ok(typeof g !== 'string' && Buffer.from(g).equals(expected), `${file} (entry ${i})`);
  });
}

/** `promise`, or a failure after a minute: a reader waiting for a worker that never answers fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after 60 s`)), 60_000);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Run `script` in sh with the arguments, for feeding pipes; killed by the returned function. */
function feeder(script: string, ...args: string[]): () => void {
  const child = spawn('sh', ['-c', script, ...args], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

/**
 * Feed mixedList's pipes so that both threads must read: whichever thread
 * takes the first chunk waits at its pipe until the other thread has opened
 * the second chunk's pipe. (If the worker never reads, the feeder gives up
 * after 30 s and the test's count of worker chunks fails instead of hanging.)
 * Returns what stops the feeder.
 */
function bothThreadsRead(first: string, second: string): () => void {
  return feeder('if timeout 30 sh -c \'printf x > "$0"\' "$1"; then printf y > "$0"; else printf y > "$0"; printf x > "$1"; fi', first, second);
}

/** `count` small regular files named `<prefix><i>.sql`, each holding `select <i>;`. */
function smallFiles(dir: string, prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `${prefix}${i}.sql`);
    writeFileSync(file, `select ${i};`);
    return file;
  });
}

for (const early of [false, true]) {
  t(`with the worker thread${early ? ' started before its list' : ''}, both threads read chunks, and the result is what one thread reads`, async () => {
    if (spawnSync('mkfifo', ['--version']).status !== 0) return; // no mkfifo here
    const p = tempProject();
    try {
      const { files, first, second } = mixedList(p.dir);
      const stop = bothThreadsRead(first, second);
      const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
      try {
        const thread = early ? startReadingThread() : undefined;
        const got = await within(readFiles(files, { parallelMin: 1, stats, thread }), 'readFiles');
        assertSameAsReadFileSync(got, files, { [first]: 'y', [second]: 'x' });
      } finally {
        stop();
      }
      assert.ok(stats.workerChunks >= 1, `the worker delivered ${stats.workerChunks} chunks`);
      assert.is(stats.recovered, 0);
    } finally {
      p.cleanup();
    }
  });
}

t('a reading thread started for a list that turns out short is ended, and this thread reads alone', async () => {
  const p = tempProject();
  try {
    const files = smallFiles(p.dir, 's', CHUNK + 3);
    const thread = startReadingThread()!;
    assert.ok(thread, 'a thread starts');
    const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
    const got = await within(readFiles(files, { parallelMin: files.length + 1, stats, thread }), 'readFiles');
    assertSameAsReadFileSync(got, files, {});
    assert.is(stats.workerChunks, 0);
    await within(thread.ended, 'the thread ending');
  } finally {
    p.cleanup();
  }
});

t('a reading thread never given a list does not keep the process alive', () => {
  const p = tempProject();
  try {
    // Once the thread is up (and so could hold the process), nothing else holds it.
    const script = path.join(p.dir, 'forgotten-thread.mjs');
    writeFileSync(script, [
      `import { startReadingThread } from ${JSON.stringify(new URL('../src/read.js', import.meta.url).href)};`,
      'const thread = startReadingThread();',
      'if (!thread) process.exit(3);',
      'const hold = setTimeout(() => process.exit(4), 15_000);',
      "thread.worker.once('online', () => { clearTimeout(hold); console.log('online'); });",
    ].join('\n'));
    const run = spawnSync(process.execPath, [script], { timeout: 30_000, encoding: 'utf8' });
    assert.is(run.signal, null, 'ended by itself, not by the timeout');
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout, 'online\n');
  } finally {
    p.cleanup();
  }
});

t('loadFolder gives what readRevisions gives for the entries readEntries reads, with or without an early thread', async () => {
  const p = tempProject();
  try {
    // The last ten in a subfolder, one of them with a down file named differently: names cut from nested paths.
    mkdirSync(path.join(p.dir, 'later'));
    for (let i = 0; i < 40; i++) {
      const name = path.join(p.dir, i >= 30 ? 'later' : '', `${String(i).padStart(4, '0')}_r`);
      writeFileSync(`${name}.up.sql`, `-- parent: ${i === 0 ? 'base' : String(i - 1).padStart(4, '0')}\nselect ${i};\n`);
      if (i !== 7) writeFileSync(`${name}${i === 33 ? 'x' : ''}.down.sql`, i === 9 ? '' : `select -${i};\n`);
    }
    const expected = readRevisions(await readEntries(p.dir, { contents: false }), { contents: false });
    assert.equal(expected.problems.map((x) => [x.code, x.revision]), [['missing-down-file', '0007'], ['empty-file', '0009'], ['mismatched-pair', '0033']]);
    assert.equal(expected.revisions.map((r) => r.id).slice(-10), Array.from({ length: 10 }, (_, k) => String(30 + k).padStart(4, '0')));
    for (const early of [false, true]) {
      const { read } = await within(loadFolder(p.dir, { contents: false, early }), 'loadFolder');
      assert.equal(read, expected);
    }
  } finally {
    p.cleanup();
  }
});

t('the worker trusts short reads when told to, as this thread does', async () => {
  if (spawnSync('mkfifo', ['--version']).status !== 0) return; // no mkfifo here
  const p = tempProject();
  try {
    // Small regular files (no slab outgrown) and the two pipes of mixedList: one read each when trusted.
    const files = smallFiles(p.dir, 't', CHUNK * 6);
    const first = path.join(p.dir, 'first.sql');
    const second = path.join(p.dir, 'second.sql');
    for (const fifo of [first, second]) if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed');
    files[0] = first;
    files[CHUNK] = second;
    const stop = bothThreadsRead(first, second);
    const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
    try {
      const got = await within(readFiles(files, { parallelMin: 1, stats, shortReadIsEnd: true }), 'readFiles');
      assertSameAsReadFileSync(got, files, { [first]: 'y', [second]: 'x' });
    } finally {
      stop();
    }
    assert.ok(stats.workerChunks >= 1, `the worker delivered ${stats.workerChunks} chunks`);
    assert.is(stats.reads, files.length, 'one read per file, on both threads');
  } finally {
    p.cleanup();
  }
});

t('each gives every chunk to its taker exactly once, whichever thread read it', async () => {
  if (spawnSync('mkfifo', ['--version']).status !== 0) return; // no mkfifo here
  const p = tempProject();
  try {
    const { files, first, second } = mixedList(p.dir);
    const stop = bothThreadsRead(first, second);
    const taken = new Uint8Array(files.length);
    const firsts: number[] = [];
    const got: ReadOutcome[] = [];
    const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
    try {
      await within(new SharedReading(files, { parallelMin: 1, stats }).each((start, chunk) => {
        firsts.push(start);
        chunk.forEach((one, k) => {
          taken[start + k]++;
          got[start + k] = one;
        });
      }), 'each');
    } finally {
      stop();
    }
    assert.ok(stats.workerChunks >= 1, `the worker delivered ${stats.workerChunks} chunks`);
    assert.ok(taken.every((n) => n === 1), 'every file taken once');
    assert.equal([...firsts].sort((a, b) => a - b), Array.from({ length: files.length / CHUNK }, (_, c) => c * CHUNK));
    assertSameAsReadFileSync(got, files, { [first]: 'y', [second]: 'x' });
  } finally {
    p.cleanup();
  }
});

/**
 * A stand-in for the reading thread whose chunks the test sends itself:
 * every chunk already claimed, so `each` only waits for them.
 */
function standIn(chunks: number): { thread: ReadingThread; send: (chunk: number, texts: string[]) => void; end: () => void } {
  const channel = new MessageChannel();
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const next = new Int32Array(new SharedArrayBuffer(4));
  next[0] = chunks;
  const thread = { worker: { terminate: async () => 0 } as unknown as Worker, port: channel.port1, next, ended };
  const send = (chunk: number, texts: string[]) => {
    const bytes = Buffer.concat(texts.map((t) => Buffer.from(t)));
    const where = new Int32Array(texts.flatMap((t, k) => [Buffer.byteLength(texts.slice(0, k).join('')), Buffer.byteLength(t)]));
    const message: ChunkMessage = { chunk, reads: texts.length, bytes: new Uint8Array(bytes).buffer, where, errors: texts.map(() => null) };
    channel.port2.postMessage(message);
  };
  return { thread, send, end: () => end() };
}

t('chunks the worker sends while this thread waits are taken, and so are those sent just before it ends', async () => {
  const files = Array.from({ length: CHUNK + 1 }, (_, i) => `f${i}.sql`);
  const { thread, send, end } = standIn(2);
  const got: ReadOutcome[] = [];
  const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
  const reading = new SharedReading(files, { parallelMin: 1, stats, thread }).each((start, chunk) => chunk.forEach((one, k) => (got[start + k] = one)));
  setImmediate(() => {
    send(0, files.slice(0, CHUNK));
    setImmediate(() => {
      send(1, files.slice(CHUNK)); // and the thread ends in the same turn: taken by the last look at the port
      end();
    });
  });
  await within(reading, 'each');
  assert.is(stats.workerChunks, 2);
  assert.is(stats.recovered, 0);
  assert.equal(got.map((b) => Buffer.from(b as Uint8Array).toString()), files);
});

for (const when of ['while this thread waits', 'just before the worker ends'] as const) {
  t(`a taker's error on a chunk the worker sent ${when} rejects each`, async () => {
    const files = Array.from({ length: 3 }, (_, i) => `f${i}.sql`);
    const { thread, send, end } = standIn(1);
    const reading = new SharedReading(files, { parallelMin: 1, thread }).each(() => {
      throw new Error('the taker failed');
    });
    setImmediate(() => {
      send(0, files);
      if (when === 'just before the worker ends') end();
    });
    const failed = await within(reading.then(() => undefined, (err: Error) => err), 'each');
    assert.match(String(failed), /the taker failed/);
  });
}

/** Two large read results are the same; on a difference, shows where it starts (a deep diff of 16,000 revisions would take minutes to print). */
function assertSameRead(got: ReadResult, expected: ReadResult): void {
  const text = (r: ReadResult) => JSON.stringify({ revisions: r.revisions, parentLines: [...r.parentLines], problems: r.problems, unbuilt: [...r.unbuilt] });
  const [a, b] = [text(got), text(expected)];
  if (a === b) return;
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  assert.unreachable(`the results differ from character ${at}: ${a.slice(Math.max(0, at - 100), at + 200)}\n  expected: ${b.slice(Math.max(0, at - 100), at + 200)}`);
}

t('loadFolder of a folder long enough for the reading thread gives what readRevisions gives', async () => {
  const p = tempProject();
  try {
    // 16,400 files: read on two threads by default, from 16,384; a few problems planted.
    const id = (i: number) => `r${String(i).padStart(5, '0')}`;
    for (let i = 0; i < 8200; i++) {
      writeFileSync(path.join(p.dir, `${id(i)}_t.up.sql`), `-- parent: ${i === 0 ? 'base' : id(i - 1)}\n-- message: revision number ${i}\nselect ${i};\n`);
      if (i !== 4000) writeFileSync(path.join(p.dir, `${id(i)}_t.down.sql`), i === 6000 ? '' : `select -${i};\n`);
    }
    writeFileSync(path.join(p.dir, 'notes.sql'), 'select 1;\n');
    for (const contents of [false, true]) {
      const expected = readRevisions(await readEntries(p.dir, { contents }), { contents });
      assert.equal(expected.problems.map((x) => x.code), ['bad-file-name', 'missing-down-file', 'empty-file']);
      for (const early of [false, true]) {
        const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
        const { read } = await within(loadFolder(p.dir, { contents, early, stats }), 'loadFolder');
        assertSameRead(read, expected);
        assert.is(stats.recovered, 0);
      }
    }
  } finally {
    p.cleanup();
  }
});

t('a worker that cannot start leaves all the reading to this thread', async () => {
  const p = tempProject();
  try {
    const files = Array.from({ length: 3 * CHUNK + 5 }, (_, i) => path.join(p.dir, `f${i}.sql`));
    files.forEach((f, i) => i % 2 && writeFileSync(f, `select ${i};`));
    const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
    const got = await within(readFiles(files, { parallelMin: 1, stats, workerUrl: pathToFileURL(path.join(p.dir, 'no-such-worker.js')) }), 'readFiles');
    assertSameAsReadFileSync(got, files, {});
    assert.is(stats.workerChunks, 0);
  } finally {
    p.cleanup();
  }
});

t('a chunk claimed by a worker that dies is read by this thread', async () => {
  if (spawnSync('mkfifo', ['--version']).status !== 0) return;
  const p = tempProject();
  try {
    const { files, first, second } = mixedList(p.dir);
    const marker = path.join(p.dir, 'claimed');
    // Claims one chunk, says so, dies without delivering it.
    const dying = path.join(p.dir, 'dying-worker.mjs');
    writeFileSync(dying, [
      "import { writeFileSync } from 'node:fs';",
      "import { workerData } from 'node:worker_threads';",
      'Atomics.add(workerData.next, 0, 1);',
      `writeFileSync(${JSON.stringify(marker)}, '');`,
      "throw new Error('dies with its chunk');",
    ].join('\n'));
    // The first pipe is fed only once the worker has claimed its chunk, so
    // this thread cannot have read everything before; the second whenever it is opened.
    const stop = feeder('while [ ! -e "$2" ]; do sleep 0.01; done; printf y > "$0"; printf x > "$1"', first, second, marker);
    const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
    try {
      const got = await within(readFiles(files, { parallelMin: 1, stats, workerUrl: pathToFileURL(dying) }), 'readFiles');
      assertSameAsReadFileSync(got, files, { [first]: 'y', [second]: 'x' });
    } finally {
      stop();
    }
    assert.ok(existsSync(marker));
    assert.is(stats.workerChunks, 0);
    assert.is(stats.recovered, 1);
  } finally {
    p.cleanup();
  }
});

t('the bundled CLI reads a long list on two threads by default', async () => {
  if (spawnSync('mkfifo', ['--version']).status !== 0) return;
  if (availableParallelism() < 2) return void process.stderr.write('read: one CPU, no worker by default: skipped\n');
  // The SharedReading that bin/migrate.js runs: the bundle's chunk, with its own read-worker.js beside it.
  const bundle = fileURLToPath(new URL('../bundle/', import.meta.url));
  const chunk = readdirSync(bundle).find((f) => readFileSync(path.join(bundle, f), 'utf8').includes('SharedReading = class'));
  assert.ok(chunk, 'a bundle chunk holds SharedReading');
  const { SharedReading: Bundled } = await import(pathToFileURL(path.join(bundle, chunk!)).href) as { SharedReading: typeof SharedReading };
  const p = tempProject();
  try {
    const { files, first, second } = mixedList(p.dir);
    // More files than the default threshold (16,384): the short list repeated.
    const long = [...files];
    while (long.length < 17_000) long.push(...files.slice(CHUNK * 2));
    const stop = bothThreadsRead(first, second);
    const stats: ReadStats = { workerChunks: 0, recovered: 0, reads: 0 };
    try {
      const got: ReadOutcome[] = [];
      await within(new Bundled(long, { stats }).each((first, chunk) => chunk.forEach((one, k) => (got[first + k] = one))), 'the bundled SharedReading');
      assertSameAsReadFileSync(got, long, { [first]: 'y', [second]: 'x' });
    } finally {
      stop();
    }
    assert.ok(stats.workerChunks >= 1, `the bundled worker delivered ${stats.workerChunks} chunks`);
  } finally {
    p.cleanup();
  }
});

t.run();
