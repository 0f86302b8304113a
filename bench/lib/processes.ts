import { spawn, spawnSync, type ChildProcess } from "node:child_process";

/** `taskset -c <cpu>` when available, so server, Redis and load generator do not trade cores mid-run. */
export function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  if (cpu === undefined || spawnSync("taskset", ["-V"]).status !== 0) return [command, args];
  return ["taskset", ["-c", String(cpu), command, ...args]];
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  /** Kills the process (SIGKILL unless told otherwise) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A process that exited or stayed silent before it was ready; `output` is everything it printed. */
export class StartError extends Error {
  override readonly name = "StartError";
  constructor(
    message: string,
    readonly output: string[],
  ) {
    super(`${message}:\n${output.join("\n")}`);
  }
}

/** Starts a process and resolves once a line of its output matches `ready` (or rejects after 15 s). */
export async function startProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; ready: RegExp; cpu?: number },
): Promise<RunningProcess> {
  const [file, argv] = pinned(options.cpu, command, args);
  const child = spawn(file, argv, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new StartError(`${args.join(" ")} did not become ready in 15 s`, output));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        output.push(line);
        if (options.ready.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new StartError(`${args.join(" ")} exited with ${code}`, output));
    });
  });
  return {
    child,
    output,
    async stop(signal: NodeJS.Signals = "SIGKILL") {
      // A process killed by a signal has a signalCode and a null exitCode.
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill(signal);
      await exited;
    },
  };
}
