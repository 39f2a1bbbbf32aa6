#!/usr/bin/env node
// The `migrate` (and `sqlrev`) executable: loads the built CLI. Run `npm run build` first.
// The CLI comes bundled (esbuild, in `npm run build`) into a few files, one
// per set of commands that load together: Node loading some twenty small
// modules one by one cost a no-op `migrate up` about 12 ms (docs/decisions.md).
import { flushOutput, main } from '../dist/bundle/cli.js';

const code = await main(process.argv.slice(2));
// Output to a pipe is written asynchronously: wait until it has all gone out
// (from the streams the CLI used: a quiet run makes none), then exit
// explicitly (a signal that arrives while Node winds down on its own would
// otherwise end the process by the signal instead of with our code).
await flushOutput();
process.exit(code);
