/**
 * What every benchmark target shares: where to listen, which Redis to use, and the seed's API
 * shape (POST /login/ {"username"}, GET /profile/, POST /logout/, cookie `session_id`).
 * Every target is a separate process so they cannot share warm state or CPU time.
 */
export const PORT = Number(process.env.PORT ?? 0);
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** 15 minutes, as the seed. */
export const IDLE_SECONDS = 900;

export function announce(name: string): void {
  // The orchestrator waits for this line before it sends traffic.
  console.log(`ready ${name} ${PORT}`);
}

/** Reads `session_id` from a Cookie header (the targets that have no cookie library). */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /(?:^|;\s*)session_id=([^;]+)/.exec(header);
  return match?.[1];
}

/** The exit code of a target that cannot run yet; the orchestrator reports it as pending. */
export const PENDING_EXIT_CODE = 3;

/**
 * Imports a module that may not exist yet (an adapter another branch is writing) and checks that
 * it has the named function exports. When it cannot, prints `pending <reason>` (the line the
 * orchestrator puts in the report) and exits, so the run skips this target instead of failing.
 * The specifier is a parameter, not a literal, so this file compiles before the module exists.
 */
export async function importWhenAvailable<Module>(specifier: string, exports: string[]): Promise<Module> {
  let reason: string;
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    const missing = exports.filter((name) => typeof module[name] !== "function");
    if (missing.length === 0) return module as Module;
    reason = `it has no export ${missing.join(", ")}`;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    reason =
      code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
        ? `the package has no ".${specifier.slice(specifier.indexOf("/"))}" export`
        : error instanceof Error
          ? error.message.split("\n")[0]!
          : String(error);
  }
  console.log(`pending ${specifier} is not available yet: ${reason}; this target runs once it lands`);
  process.exit(PENDING_EXIT_CODE);
}
