// `npm run build`, after tsc: bundle the CLI (dist/src/cli.js) into
// dist/bundle/, one file per set of commands that load together (code
// splitting), the packages in node_modules left outside. bin/migrate.js
// loads dist/bundle/cli.js; why: docs/decisions.md, "Start-up".
// The folder is emptied first: chunk names carry a hash of their contents,
// and esbuild would leave the chunks of earlier builds beside the new ones.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const at = (rel) => fileURLToPath(new URL(rel, import.meta.url));
rmSync(at('../dist/bundle'), { recursive: true, force: true });
await build({
  // read-worker.js: the worker thread of src/read.ts, found beside the chunk that starts it.
  entryPoints: [at('../dist/src/cli.js'), at('../dist/src/read-worker.js')],
  outdir: at('../dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  logLevel: 'warning',
});
