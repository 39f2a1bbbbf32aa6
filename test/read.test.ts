/**
 * The folder reader's disk access (src/read.ts): slabs that grow for files
 * larger than them, and the worker thread giving the very same result as
 * this thread alone, errors included.
 */
import { spawn, spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFolder } from '../src/files.js';
import { readFiles, SlabReader, type ReadOutcome } from '../src/read.js';
import { tempProject } from './support/folder.js';

const t = suite('read');

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

t('files larger than the slab are read whole, and earlier views stay intact', () => {
  const p = tempProject();
  try {
    const sizes = [0, 1, 15, 16, 17, 40, 1000, 3, 64, 5000, 2];
    const files = sizes.map((n, i) => {
      const file = path.join(p.dir, `f${i}.bin`);
      writeFileSync(file, bytes(n, i));
      return file;
    });
    // A 16-byte slab, a new one when fewer than 4 bytes are left: every growth path runs.
    const reader = new SlabReader(16, 4);
    const views = files.map((f) => reader.read(f, true));
    views.forEach((v, i) => assert.equal(Buffer.from(v), Buffer.from(bytes(sizes[i], i)), `file ${i} (${sizes[i]} bytes)`));
    // Read until a read returns nothing (not a regular file): the same bytes.
    const again = new SlabReader(16, 4);
    files.forEach((f, i) => assert.equal(Buffer.from(again.read(f, false)), Buffer.from(bytes(sizes[i], i))));
  } finally {
    p.cleanup();
  }
});

t('a pipe is read to its end, past short reads', async () => {
  const p = tempProject();
  try {
    const fifo = path.join(p.dir, 'pipe.sql');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo here
    // Three writes with pauses: the reader gets short reads before the end.
    const writer = spawn('sh', ['-c', '(printf a; sleep 0.2; printf b; sleep 0.2; printf c) > "$0"', fifo]);
    const got = new SlabReader(16, 4).read(fifo, false);
    await new Promise((resolve) => writer.on('exit', resolve));
    assert.is(Buffer.from(got).toString(), 'abc');
  } finally {
    p.cleanup();
  }
});

function same(a: readonly ReadOutcome[], b: readonly ReadOutcome[]): void {
  assert.is(a.length, b.length);
  a.forEach((x, i) => {
    const y = b[i];
    if (x instanceof Uint8Array && y instanceof Uint8Array) assert.ok(Buffer.from(x).equals(Buffer.from(y)), `file ${i}`);
    else assert.equal(x, y, `file ${i}`);
  });
}

t('with a worker thread: the same bytes and errors as without', async () => {
  const p = tempProject();
  try {
    const files: string[] = [];
    for (let i = 0; i < 600; i++) {
      const file = path.join(p.dir, `f${String(i).padStart(4, '0')}.sql`);
      writeFileSync(file, bytes(i % 7 === 0 ? 70_000 + i : 100 + i, i));
      files.push(file);
    }
    files.push(path.join(p.dir, 'missing.sql'));
    symlinkSync('nowhere.sql', path.join(p.dir, 'broken.sql'));
    files.push(path.join(p.dir, 'broken.sql'));
    files.push(path.join(p.dir, 'f0001.sql')); // the same file twice
    const regular = new Uint8Array(files.length).fill(1);
    const alone = await readFiles(files, regular, Infinity);
    assert.ok(!(alone[600] instanceof Uint8Array) && /ENOENT/.test((alone[600] as { error: string }).error));
    for (let run = 0; run < 5; run++) same(await readFiles(files, regular, 0), alone);
  } finally {
    p.cleanup();
  }
});

t('readFolder gives the same entries with and without the worker', async () => {
  const files: Record<string, string | Uint8Array> = {
    '0001_a.up.sql': '\ufeff-- parent: base\r\nselect 1;\r\n',
    '0001_a.down.sql': Uint8Array.from([0x73, 0x65, 0xff, 0x0a]),
    'sub/0002_b.up.sql': '-- parent: 0001\nselect \0;\n',
  };
  for (let i = 3; i < 300; i++) files[`${String(i).padStart(4, '0')}_r.up.sql`] = `-- parent: ${String(i - 1).padStart(4, '0')}\nselect ${i};\n`;
  const p = tempProject(files);
  try {
    symlinkSync('0001_a.up.sql', path.join(p.dir, 'link.up.sql'));
    symlinkSync('gone.sql', path.join(p.dir, 'gone.down.sql'));
    const alone = await readFolder(p.dir, { workerThreshold: Infinity });
    const shared = await readFolder(p.dir, { workerThreshold: 0 });
    assert.equal(shared.map((e) => e.path), alone.map((e) => e.path));
    shared.forEach((e, i) => {
      const a = alone[i];
      assert.is(e.readError, a.readError, e.path);
      assert.ok(e.bytes && a.bytes ? Buffer.from(e.bytes).equals(Buffer.from(a.bytes)) : e.bytes === a.bytes, e.path);
    });
    assert.ok(alone.find((e) => e.path.endsWith('gone.down.sql'))!.readError);
    assert.is(Buffer.from(alone.find((e) => e.path.endsWith('link.up.sql'))!.bytes!).toString(), files['0001_a.up.sql']);
  } finally {
    p.cleanup();
  }
});

t.run();
