#!/usr/bin/env node
// The `migrate` (and `sqlrev`) executable: loads the built CLI. Run `npm run build` first.
import { main } from '../dist/src/cli.js';

// Exit explicitly: a signal that arrives while Node winds down on its own
// would otherwise end the process by the signal instead of with our exit code.
process.exit(await main(process.argv.slice(2)));
