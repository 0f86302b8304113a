import type { RedisArgument, RedisCommand, RedisConnection, RedisReply, SendOptions } from "./connection.js";

/**
 * Script sources ↔ SHA-1. The store builds scripts as `EVAL <source>`. The first use of each
 * script goes out as that `EVAL`, which also loads it into Redis, and starts its SHA-1 (Web
 * Crypto, so the store stays runtime-free); once that is known, uses go out as `EVALSHA <sha>`.
 * Until then (only the first moments of a process) they go as `EVAL` again, which is always
 * correct: nothing here ever waits, so a login is not held up by a digest. If Redis forgot a
 * script (a restart, `SCRIPT FLUSH`), the NOSCRIPT retry in `sendWithScripts` sends the `EVAL`.
 */
export function createScriptCache() {
  /** Scripts sent at least once: their SHA-1, or `undefined` while it is being computed. */
  const shas = new Map<string, string | undefined>();
  const sha1 = (source: string) =>
    globalThis.crypto.subtle
      .digest("SHA-1", new TextEncoder().encode(source))
      .then((digest) => [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(""));
  return {
    toWire(command: RedisCommand): RedisCommand {
      if (command[0] !== "EVAL") return command;
      const source = String(command[1]);
      const sha = shas.get(source);
      if (sha !== undefined) {
        // One copy of the command (a login's has 17 entries), its first two replaced.
        const wire = command.slice() as [string, ...RedisArgument[]];
        wire[0] = "EVALSHA";
        wire[1] = sha;
        return wire;
      }
      if (!shas.has(source)) {
        shas.set(source, undefined);
        // A digest that fails (no Web Crypto: `crypto.subtle` missing throws, inside the `then`)
        // leaves the script on EVAL, and is tried again next use.
        Promise.resolve(source)
          .then(sha1)
          .then(
            (digest) => shas.set(source, digest),
            () => shas.delete(source),
          );
      }
      return command;
    },
  };
}

/**
 * Sends a round trip with its scripts by SHA; those Redis does not know yet (first use, or after
 * a restart or `SCRIPT FLUSH`) are sent again in full. Only the commands that failed with NOSCRIPT
 * are resent: they did not run, so nothing runs twice. A round trip without a script (every
 * authenticated read: one `GETEX`) goes to the connection as it is. Not async: every store call
 * comes through here.
 */
export function sendWithScripts(
  connection: RedisConnection,
  scripts: ReturnType<typeof createScriptCache>,
  commands: readonly RedisCommand[],
  options?: SendOptions,
): Promise<Array<RedisReply | Error>> {
  if (!commands.some((command) => command[0] === "EVAL")) return connection.send(commands, options);
  return connection
    .send(
      commands.map((command) => scripts.toWire(command)),
      options,
    )
    .then((replies) => {
      const missing = replies.flatMap((reply, index) => (reply instanceof Error && reply.message.startsWith("NOSCRIPT") ? [index] : []));
      if (missing.length === 0) return replies;
      return connection
        .send(
          missing.map((index) => commands[index]!),
          options,
        )
        .then((retried) => {
          for (const [position, index] of missing.entries()) replies[index] = retried[position]!;
          return replies;
        });
    });
}
