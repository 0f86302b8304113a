import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDeadlines } from "./deadlines.js";

const timeoutError = () => new Error("deadline passed");
const never = () => new Promise<never>(() => undefined);

/** Settles `promise` into a tagged outcome so a test can look without awaiting forever. */
function observe<T>(promise: Promise<T>) {
  const outcome: { state: "pending" | "resolved" | "rejected"; value?: T; error?: unknown } = { state: "pending" };
  promise.then(
    (value) => Object.assign(outcome, { state: "resolved", value }),
    (error: unknown) => Object.assign(outcome, { state: "rejected", error }),
  );
  return outcome;
}

describe("createDeadlines", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("passes the work's value and error through, and leaves no timer behind", async () => {
    const within = createDeadlines(300);
    await expect(within(Promise.resolve("OK"), timeoutError)).resolves.toBe("OK");
    await expect(within(Promise.reject(new Error("ECONNRESET")), timeoutError)).rejects.toThrow("ECONNRESET");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects a hung call with the timeout error once its deadline has passed, not before", async () => {
    const within = createDeadlines(300);
    const hung = observe(within(never(), timeoutError));
    await vi.advanceTimersByTimeAsync(299);
    expect(hung.state).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(hung).toMatchObject({ state: "rejected", error: { message: "deadline passed" } });
  });

  it("gives each call its own deadline, so a call still has one after the runtime dropped an earlier call's timers", async () => {
    // workerd cancels the timers a request set when that request ends. Simulated here by clearing
    // every timer after the first call: a deadline kept by a timer shared across calls would be gone.
    const within = createDeadlines(300);
    await within(Promise.resolve("first request"), timeoutError);
    vi.clearAllTimers();
    const hung = observe(within(never(), timeoutError));
    await vi.advanceTimersByTimeAsync(300);
    expect(hung.state).toBe("rejected");
  });

  it("keeps the deadlines of concurrent calls apart: one settling does not cancel another's", async () => {
    const within = createDeadlines(300);
    let finish!: (value: string) => void;
    const quick = observe(within(new Promise<string>((resolve) => (finish = resolve)), timeoutError));
    await vi.advanceTimersByTimeAsync(100);
    const hung = observe(within(never(), timeoutError));
    finish("done");
    await vi.advanceTimersByTimeAsync(299);
    expect(quick).toMatchObject({ state: "resolved", value: "done" });
    expect(hung.state).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(hung.state).toBe("rejected");
  });

  it("shapes the outcome in the same step: onValue's result or throw, onError's throw; a timeout skips onError", async () => {
    const within = createDeadlines(300);
    const double = (value: number) => value * 2;
    const shape = (error: unknown): never => {
      throw new Error(`shaped: ${(error as Error).message}`);
    };
    await expect(within(Promise.resolve(21), timeoutError, double, shape)).resolves.toBe(42);
    const refuse = () => {
      throw new Error("refused reply");
    };
    await expect(within(Promise.resolve(1), timeoutError, refuse, shape)).rejects.toThrow("refused reply");
    await expect(within(Promise.reject(new Error("ECONNRESET")), timeoutError, double, shape)).rejects.toThrow("shaped: ECONNRESET");
    // An onError that forgets to throw still rejects, with the original error, rather than hanging.
    await expect(within(Promise.reject(new Error("lost")), timeoutError, double, (() => undefined) as unknown as typeof shape)).rejects.toThrow("lost");
    expect(vi.getTimerCount()).toBe(0);
    const hung = observe(within(never(), timeoutError, double, shape));
    await vi.advanceTimersByTimeAsync(300);
    expect(hung).toMatchObject({ state: "rejected", error: { message: "deadline passed" } });
  });

  it("hands work that succeeds after its deadline to onLate, and only such work; a throwing onLate is contained", async () => {
    const within = createDeadlines(300);
    const shape = (error: unknown): never => {
      throw error;
    };
    const late: string[] = [];
    const onLate = (value: string) => {
      late.push(value);
      throw new Error("undo failed");
    };
    await within(Promise.resolve("in time"), timeoutError, (value) => value, shape, onLate);
    let finish!: (value: string) => void;
    const slow = observe(within(new Promise<string>((resolve) => (finish = resolve)), timeoutError, (value) => value, shape, onLate));
    const failing = observe(
      within(new Promise<string>((_, reject) => setTimeout(() => reject(new Error("late failure")), 500)), timeoutError, (value) => value, shape, onLate),
    );
    await vi.advanceTimersByTimeAsync(300);
    expect(slow.state).toBe("rejected");
    expect(failing.state).toBe("rejected");
    finish("ran after all");
    await vi.advanceTimersByTimeAsync(300);
    expect(late).toEqual(["ran after all"]);
    expect(slow).toMatchObject({ state: "rejected", error: { message: "deadline passed" } });
  });
});
