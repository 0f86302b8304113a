/** Login + read load against a reference server, recording every response with its time. */

export type RequestKind = "login" | "read";

/** One request as a client saw it. `status` 0: no HTTP answer (network error or our 5 s timeout). */
export interface Observation {
  kind: RequestKind;
  startedAtMs: number;
  finishedAtMs: number;
  status: number;
  retryAfter: string | null;
  error?: string;
}

/** A login the server acknowledged (200 with a session id). */
export interface AcknowledgedLogin {
  username: string;
  cookie: string;
  acknowledgedAtMs: number;
}

export interface LoadRecorder {
  readonly observations: Observation[];
  readonly acknowledged: AcknowledgedLogin[];
  /** Stops the workers; resolves once every request in flight has finished. */
  stop(): Promise<void>;
}

/** A request that takes longer than this counts as a hang (status 0). */
export const HANG_TIMEOUT_MS = 5000;

/**
 * `workers` loops, each alternating a login of a fresh user and an authenticated read of a session
 * acknowledged earlier, back to back, until `stop()`. Bounded by `maxRequests` in total.
 */
export function startLoad(baseUrl: string, options: { workers: number; maxRequests: number; runId: string }): LoadRecorder {
  const observations: Observation[] = [];
  const acknowledged: AcknowledgedLogin[] = [];
  let stopped = false;
  let issued = 0;
  let nextUser = 0;

  async function timed(kind: RequestKind, request: () => Promise<Response>): Promise<Response | undefined> {
    const startedAtMs = performance.now();
    try {
      const response = await request();
      observations.push({ kind, startedAtMs, finishedAtMs: performance.now(), status: response.status, retryAfter: response.headers.get("retry-after") });
      return response;
    } catch (error) {
      observations.push({ kind, startedAtMs, finishedAtMs: performance.now(), status: 0, retryAfter: null, error: (error as Error).message });
      return undefined;
    }
  }

  async function worker(): Promise<void> {
    while (!stopped && issued < options.maxRequests) {
      issued += 2;
      const username = `${options.runId}-${nextUser++}`;
      const login = await timed("login", () =>
        fetch(`${baseUrl}/login/`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username }),
          signal: AbortSignal.timeout(HANG_TIMEOUT_MS),
        }),
      );
      if (login?.status === 200) {
        const { session_id: token } = (await login.json()) as { session_id: string };
        acknowledged.push({ username, cookie: `session_id=${token}`, acknowledgedAtMs: performance.now() });
      } else {
        await login?.body?.cancel();
      }
      const known = acknowledged[Math.floor(Math.random() * acknowledged.length)];
      if (known === undefined) continue;
      const read = await timed("read", () => fetch(`${baseUrl}/profile/`, { headers: { cookie: known.cookie }, signal: AbortSignal.timeout(HANG_TIMEOUT_MS) }));
      await read?.body?.cancel();
    }
  }

  const running = Promise.all(Array.from({ length: options.workers }, () => worker()));
  return {
    observations,
    acknowledged,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/**
 * Checks every acknowledged login's cookie: 200 means the session survived, 404 that it was lost.
 * A 503 is retried (bounded), so a still-settling cluster is not counted as a loss.
 */
export async function verifyLogins(
  baseUrl: string,
  logins: readonly AcknowledgedLogin[],
  concurrency = 16,
): Promise<{ alive: number; lost: AcknowledgedLogin[]; undetermined: number }> {
  const lost: AcknowledgedLogin[] = [];
  let alive = 0;
  let undetermined = 0;
  let next = 0;
  async function checker(): Promise<void> {
    while (next < logins.length) {
      const login = logins[next++]!;
      let status = 0;
      for (let attempt = 0; attempt < 20 && (status === 0 || status === 503); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
        const response = await fetch(`${baseUrl}/profile/`, { headers: { cookie: login.cookie }, signal: AbortSignal.timeout(HANG_TIMEOUT_MS) }).catch(
          () => undefined,
        );
        status = response?.status ?? 0;
        await response?.body?.cancel();
      }
      if (status === 200) alive++;
      else if (status === 404) lost.push(login);
      else undetermined++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => checker()));
  return { alive, lost, undetermined };
}
