#!/usr/bin/env node
// Launcher only: the program lives in the compiled CLI.
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
