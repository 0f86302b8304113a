#!/usr/bin/env node
import { exitWithError, runUpstashLocalCli } from "./cli.js";

// The `upstash-local` command (npx upstash-local, or npm run upstash-local in this repository).
runUpstashLocalCli(process.argv.slice(2)).catch(exitWithError);
