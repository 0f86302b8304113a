#!/usr/bin/env node
import { existsSync } from "node:fs";
import { runAdmin } from "./cli.js";

// Like the server: variables already in the environment win over `.env`.
if (existsSync(".env")) process.loadEnvFile(".env");
process.exitCode = await runAdmin(process.argv.slice(2), process.env, { out: process.stdout, err: process.stderr });
