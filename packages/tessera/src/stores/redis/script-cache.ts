import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";

/**
 * Script sources ↔ SHA-1. The store builds scripts as `EVAL <source>`. The first use of each
 * script goes out as that `EVAL`, which also loads it into Redis; later uses as `EVALSHA <sha>`
 * (SHA-1 from Web Crypto, so the store stays runtime-free). If Redis forgot it (a restart,
 * `SCRIPT FLUSH`), the NOSCRIPT retry in `sendWithScripts` sends the `EVAL` again.
 */
export function createScriptCache() {
  const shas = new Map<string, Promise<string>>();
  const sent = new Set<string>();
  const sha1 = (source: string) => {
    let sha = shas.get(source);
    if (sha === undefined) {
      sha = globalThis.crypto.subtle
        .digest("SHA-1", new TextEncoder().encode(source))
        .then((digest) => [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(""));
      shas.set(source, sha);
    }
    return sha;
  };
  return {
    async toWire(command: RedisCommand): Promise<RedisCommand> {
      if (command[0] !== "EVAL") return command;
      const [, source, ...rest] = command;
      if (!sent.has(String(source))) {
        sent.add(String(source));
        return command;
      }
      return ["EVALSHA", await sha1(String(source)), ...rest];
    },
  };
}

/**
 * Sends a round trip with its scripts by SHA; those Redis does not know yet (first use, or after
 * a restart or `SCRIPT FLUSH`) are sent again in full. Only the commands that failed with NOSCRIPT
 * are resent: they did not run, so nothing runs twice.
 */
export async function sendWithScripts(
  connection: RedisConnection,
  scripts: ReturnType<typeof createScriptCache>,
  commands: readonly RedisCommand[],
): Promise<Array<RedisReply | Error>> {
  const wire = await Promise.all(commands.map((command) => scripts.toWire(command)));
  const replies = await connection.send(wire);
  const missing = replies.flatMap((reply, index) => (reply instanceof Error && reply.message.startsWith("NOSCRIPT") ? [index] : []));
  if (missing.length === 0) return replies;
  const retried = await connection.send(missing.map((index) => commands[index]!));
  for (const [position, index] of missing.entries()) replies[index] = retried[position]!;
  return replies;
}
