import type { SessionRecord } from "../core/record.js";
import type { CreateSessionOptions, SessionStore, UserRef } from "../core/store.js";
import { userBucket } from "../core/token.js";
import type { StoreCapabilities } from "./store-contract.js";

/** What a store needs to provide to run the shared contract tests. */
export interface StoreHarness {
  store: SessionStore;
  /**
   * Another store on the same backend through its own, independent connection (for the memory
   * store: the same sessions, with every call started and settled at random await points), so
   * that race tests really race. The suite closes what it gets.
   */
  independentStore(): Promise<SessionStore>;
  /** Lets `ms` pass for the store: a fake clock for memory, a real sleep for server stores. */
  elapse(ms: number): Promise<void>;
  /** The store's clock in unix seconds (the fake clock for memory, the real one otherwise). */
  nowSeconds(): number;
  /**
   * Runs `operation` and reports the commands Redis executed (its own INFO commandstats, which is
   * also what Upstash bills: 1 per command plus 1 per `redis.call` in a script) and the round
   * trips the client made. Omitted for stores with no backend.
   */
  measure?(operation: () => Promise<unknown>): Promise<{ commands: number; roundTrips: number }>;
  /**
   * Makes the backend refuse new sessions as full (Redis: `maxmemory` with `noeviction`; memory:
   * filled to `maxSessions`) and returns how to undo it.
   */
  fillBackend(): Promise<() => Promise<void>>;
  /** A store of the same kind whose backend cannot be reached. */
  unavailableStore(): Promise<SessionStore>;
  close(): Promise<void>;
}

/** What the parts of the contract share: the harness (once `beforeAll` ran) and small builders. */
export interface ContractContext {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  harness(): StoreHarness;
  store(): SessionStore;
  record(overrides?: Partial<SessionRecord>): SessionRecord;
  options(overrides?: Partial<CreateSessionOptions>): CreateSessionOptions;
  /** Creates a session for `who` (on `on`, or the main store) and returns its id. */
  create(who: UserRef, overrides?: { record?: Partial<SessionRecord>; options?: Partial<CreateSessionOptions> }, on?: SessionStore): Promise<string>;
  /** The ids of `who`'s listed sessions, sorted. */
  listed(who: UserRef): Promise<string[]>;
}

let counter = 0;
/** Tells this run's ids from another process's on the same backend. */
const RUN = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(36)).join("");
const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** A session id as the manager makes them: the user's bucket, then 24 base64url characters. */
export function newSessionId(user: UserRef): string {
  const unique = `${RUN}x${(++counter).toString(36)}x${Math.random().toString(36).slice(2)}`.replace(/[^A-Za-z0-9]/g, "");
  return user.bucket + unique.padEnd(24, base64url[counter % 64]).slice(0, 24);
}

export async function user(userId: string): Promise<UserRef> {
  return { userId, bucket: await userBucket(userId) };
}

/** Two distinct users that share a bucket (about 64 tries: 4096 buckets). */
export async function usersSharingABucket(prefix: string): Promise<[UserRef, UserRef]> {
  const seen = new Map<string, UserRef>();
  for (let i = 0; i < 10_000; i++) {
    const candidate = await user(`${prefix}-${i}`);
    const other = seen.get(candidate.bucket);
    if (other) return [other, candidate];
    seen.set(candidate.bucket, candidate);
  }
  throw new Error("no bucket collision found");
}
