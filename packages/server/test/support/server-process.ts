import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** The reference server running as its own process, exactly as `npm start` runs it. */
export interface ServerProcess {
  readonly baseUrl: string;
  /** Everything it printed so far, stdout and stderr interleaved, one entry per line. */
  readonly lines: string[];
  /** Resolves with the first line (already printed or still to come) matching `pattern`; rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited (by itself or by `stop`). */
  readonly exited: Promise<number | null>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly child: ChildProcess;
}

/**
 * Starts `node packages/server/dist/main.js` with only `env` (plus PATH) as its environment, in `cwd`
 * (default: an empty folder, so no developer's `.env` leaks into a test).
 */
export async function startServerProcess(env: Record<string, string>, options: { cwd?: string } = {}): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: options.cwd ?? fileURLToPath(new URL("../fixtures/empty-cwd/", import.meta.url)),
  });
  const lines: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  // "close", not "exit": by then stdout and stderr are read to the end, so `lines` is complete.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    // Per stream, a line can arrive split over two chunks: keep the unfinished tail until its newline.
    const lineReader = () => {
      let tail = "";
      return (chunk: string) => {
        const parts = (tail + chunk).split("\n");
        tail = parts.pop()!;
        for (const line of parts.filter(Boolean)) {
          lines.push(line);
          for (const listener of lineListeners) listener(line);
          const match = /listening on (http:\/\/\S+)/.exec(line);
          if (match) resolve(match[1]!);
        }
      };
    };
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", lineReader());
    child.stderr!.on("data", lineReader());
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${lines.join("\n")}`)));
    setTimeout(() => reject(new Error(`server did not start within 10 s:\n${lines.join("\n")}`)), 10_000).unref();
  });
  const baseUrl = await listening;
  return {
    baseUrl,
    lines,
    child,
    exited,
    waitForLine(pattern, timeoutMs = 10_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          lineListeners.delete(listener);
          reject(new Error(`no log line matched ${pattern} within ${timeoutMs} ms:\n${lines.join("\n")}`));
        }, timeoutMs);
        const listener = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          lineListeners.delete(listener);
          resolve(line);
        };
        lineListeners.add(listener);
      });
    },
    async stop(signal = "SIGTERM") {
      // Already ended: still wait for "close", so that `lines` holds all it printed.
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      return exited;
    },
  };
}
