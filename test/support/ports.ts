import { createServer } from "node:net";

/**
 * `count` distinct TCP ports on 127.0.0.1 that were free a moment ago. All are held open until
 * every one is chosen: asked one after the other, the OS may give the same free port twice (it
 * was released in between), and two processes of one test then fight over it.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer().unref());
  const listening = await Promise.allSettled(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            if (typeof address === "object" && address) resolve(address.port);
            else reject(new Error("no port"));
          });
        }),
    ),
  );
  // Every listen has settled: each server that listens is closed, none is left behind.
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  const failed = listening.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return listening.map((result) => (result as PromiseFulfilledResult<number>).value);
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
