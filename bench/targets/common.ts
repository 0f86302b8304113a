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
  // Exit on SIGINT rather than die of it, so `--cpu-prof` gets to write its profile (bench/lib/profile-target).
  process.once("SIGINT", () => process.exit(0));
  // The orchestrator waits for this line before it sends traffic.
  console.log(`ready ${name} ${PORT}`);
}

/** Reads `session_id` from a Cookie header (the targets that have no cookie library). */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /(?:^|;\s*)session_id=([^;]+)/.exec(header);
  return match?.[1];
}
