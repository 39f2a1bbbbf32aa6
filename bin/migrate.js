#!/usr/bin/env node
// The `migrate` (and `sqlrev`) executable: loads the built CLI. Run `npm run build` first.
import { flushOutput, main } from '../dist/src/cli.js';

const code = await main(process.argv.slice(2));
// Output to a pipe is written asynchronously: wait until it has all gone out
// (from the streams the CLI used: a quiet run makes none), then exit
// explicitly (a signal that arrives while Node winds down on its own would
// otherwise end the process by the signal instead of with our code).
await flushOutput();
process.exit(code);
