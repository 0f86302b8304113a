import type { AdminContext } from "./cli.js";

/** stats, check and migrate: whole-database scans, filled in with the key layout's scanner. */
export const layoutCommands: Record<string, (context: AdminContext) => Promise<number>> = {};
