import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** The reference server running as its own process, exactly as `npm start` runs it. */
export interface ServerProcess {
  readonly baseUrl: string;
  /** Everything it printed so far, stdout and stderr interleaved, one entry per line. */
  readonly lines: string[];
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
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        lines.push(line);
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${lines.join("\n")}`)));
    setTimeout(() => reject(new Error(`server did not start within 10 s:\n${lines.join("\n")}`)), 10_000).unref();
  });
  const baseUrl = await listening;
  return {
    baseUrl,
    lines,
    child,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
