#!/usr/bin/env node
// The `migrate` (and `sqlrev`) executable: loads the built CLI. Run `npm run build` first.
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
