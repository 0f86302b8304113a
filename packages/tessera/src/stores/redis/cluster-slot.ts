import type { RedisArgument, RedisCommand } from "./connection.js";

/**
 * Redis Cluster routes each key to one of 16384 hash slots. A round trip of the store is one
 * pipeline on one node, so all its keys must share a slot; the store makes sure of that with hash
 * tags (`ts:{AB}…`: only the part between the first `{` and the next `}` is hashed). The cluster
 * drivers check it on every round trip anyway, because a round trip that spanned slots would be
 * split across nodes by some clients and lose the order the store relies on.
 */

const SLOTS = 16384;
const encoder = new TextEncoder();

/** CRC16-CCITT (XMODEM) lookup table, as in the Redis Cluster specification, appendix A. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** The hash slot of `key` (0–16383), honouring `{hash tags}` as Redis does. */
export function keySlot(key: string): number {
  let bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b); // "{"
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // "}"
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % SLOTS;
}

/** Commands whose keys follow a `numkeys` argument. */
const NUMKEYS_COMMANDS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);
/** Commands whose every argument is a key. */
const ALL_KEYS_COMMANDS = new Set(["DEL", "UNLINK", "EXISTS", "TOUCH", "MGET"]);
/** Commands with no key at all: they go wherever the round trip goes. */
const KEYLESS_COMMANDS = new Set(["WAIT", "PING", "ECHO", "TIME", "SCRIPT", "INFO"]);

/**
 * The keys of one command, for the commands the store sends: every key of EVAL/EVALSHA (after
 * `numkeys`) and of DEL/UNLINK/EXISTS/TOUCH/MGET, none of WAIT/PING/…, else the first argument.
 */
export function keysOf(command: RedisCommand): RedisArgument[] {
  const [rawName, ...args] = command;
  const name = rawName.toUpperCase();
  if (KEYLESS_COMMANDS.has(name)) return [];
  if (NUMKEYS_COMMANDS.has(name)) return args.slice(2, 2 + Number(args[1]));
  if (ALL_KEYS_COMMANDS.has(name)) return args;
  return args.slice(0, 1);
}

/** A round trip whose keys span several hash slots: a bug in the caller, never retried. */
export class CrossSlotRoundTripError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CrossSlotRoundTripError";
  }
}

/**
 * The one slot every key of `commands` hashes to, and the first key (which the clients route by).
 * Throws {@link CrossSlotRoundTripError} naming two keys in different slots; returns `undefined`
 * when no command has a key.
 */
export function slotOfRoundTrip(commands: readonly RedisCommand[]): { slot: number; routingKey: string } | undefined {
  let found: { slot: number; routingKey: string } | undefined;
  for (const command of commands) {
    for (const key of keysOf(command)) {
      const slot = keySlot(String(key));
      if (found === undefined) found = { slot, routingKey: String(key) };
      else if (slot !== found.slot) {
        throw new CrossSlotRoundTripError(
          `one round trip spans Redis Cluster slots ${found.slot} (${JSON.stringify(found.routingKey)}) and ${slot} (${JSON.stringify(String(key))}) in ${describeCommands(commands)}; ` +
            "a cluster runs each round trip on one node, so the caller must keep its keys under one {hash tag} or send them as separate round trips",
        );
      }
    }
  }
  return found;
}

function describeCommands(commands: readonly RedisCommand[]): string {
  return commands
    .map((command) => (command[0].toUpperCase().startsWith("EVAL") ? command[0].toUpperCase().replace(/^EVAL$/, "EVAL <script>") : command[0]))
    .join(" + ");
}
