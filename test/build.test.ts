/**
 * The build: every file the built code finds relative to itself
 * (`new URL('…', import.meta.url)`: the state SQL, the catalog queries, the
 * reading worker) exists, both from the modules tsc writes (the library)
 * and from the bundle that bin/migrate.js runs, whose chunks sit elsewhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const t = suite('build');
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RELATIVE_URL = /new URL\(\s*(['"])(\.{1,2}\/[^'"]*)\1\s*,\s*import\.meta\.url\s*\)/g;

function relativeUrls(folder: string): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.js')) continue;
    const file = path.join(folder, name);
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_URL)) found.push({ file, target: m[2] });
  }
  return found;
}

for (const folder of ['src', 'bundle']) {
  t(`what dist/${folder} finds beside itself is there`, () => {
    const urls = relativeUrls(path.join(dist, folder));
    // The three known ones at least: a pattern that stopped matching would pass vacuously.
    for (const known of ['./read-worker.js', '../../sql/state/', '../../sql/catalog/']) {
      assert.ok(urls.some((u) => u.target === known), `dist/${folder} refers to ${known}`);
    }
    for (const { file, target } of urls) {
      const resolved = fileURLToPath(new URL(target, pathToFileURL(file)));
      assert.ok(existsSync(resolved), `${path.relative(dist, file)} refers to ${target}, which is not at ${resolved}`);
    }
  });
}

t.run();
