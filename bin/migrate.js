#!/usr/bin/env node
// The `migrate` (and `sqlrev`) executable: loads the built CLI. Run `npm run build` first.
import { main } from '../dist/src/cli.js';

const code = await main(process.argv.slice(2));
// Output to a pipe is written asynchronously: wait until it has all gone out,
// then exit explicitly (a signal that arrives while Node winds down on its own
// would otherwise end the process by the signal instead of with our code).
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
