#!/usr/bin/env node
import { exitWithError, runUpstashLocalCli } from "./cli.js";

// The `upstash-local` command on its own (the same as `tessera upstash-local`).
runUpstashLocalCli(process.argv.slice(2)).catch(exitWithError);
