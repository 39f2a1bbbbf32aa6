/**
 * The folder reader's disk access (src/read.ts): slabs that grow for files
 * larger than them, pipes read past short reads, and readFolder reading
 * exactly what readFileSync does, errors included.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFolder } from '../src/files.js';
import { SlabReader } from '../src/read.js';
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
    const views = files.map((f) => reader.read(f));
    views.forEach((v, i) => assert.equal(Buffer.from(v), Buffer.from(bytes(sizes[i], i)), `file ${i} (${sizes[i]} bytes)`));
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
    const got = new SlabReader(16, 4).read(fifo);
    await new Promise((resolve) => writer.on('exit', resolve));
    assert.is(Buffer.from(got).toString(), 'abc');
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

t.run();
