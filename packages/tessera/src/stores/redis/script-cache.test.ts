import { afterEach, describe, expect, it, vi } from "vitest";
import { createScriptCache } from "./script-cache.js";

const command = ["EVAL", "return 1", 0] as const;
/** The failing digest (no Web Crypto) rejects within microtasks; 10 ms is far more than it needs. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("createScriptCache", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends a script as EVAL until its SHA-1 is known, then as EVALSHA, without ever waiting", async () => {
    const scripts = createScriptCache();
    expect(scripts.toWire(command)).toEqual(command);
    expect(scripts.toWire(command)).toEqual(command); // the digest is not known within the same turn
    // SHA-1 of "return 1". Web Crypto digests on a worker thread: waited for (bounded), not assumed done after a fixed time.
    await vi.waitFor(() => expect(scripts.toWire(command)).toEqual(["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", 0]), {
      timeout: 5000,
      interval: 10,
    });
  });

  it("without Web Crypto, keeps sending EVAL and does not throw; the digest is tried again once it is back", async () => {
    vi.stubGlobal("crypto", {});
    const scripts = createScriptCache();
    expect(() => scripts.toWire(command)).not.toThrow();
    await settle();
    expect(scripts.toWire(command)).toEqual(command);
    await settle();
    vi.unstubAllGlobals();
    expect(scripts.toWire(command)).toEqual(command); // this use starts the digest again
    await vi.waitFor(() => expect(scripts.toWire(command)[0]).toBe("EVALSHA"), { timeout: 5000, interval: 10 });
  });
});
