#!/usr/bin/env node
import { main, noteBackgroundThreads } from '../dist/sdk/cli/main.js';

// First: the threads this process has before the CLI starts any are Node's and V8's own.
noteBackgroundThreads();
process.exitCode = await main(process.argv.slice(2));
