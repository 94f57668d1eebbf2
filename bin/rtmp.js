#!/usr/bin/env -S node --max-semi-space-size=1
// Launcher only: the program lives in the compiled CLI.
// The small young generation makes V8 collect the short-lived media buffers
// often, which keeps a long download's peak memory near 70 MB at no cost in
// throughput (measured by `npm run bench`).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
