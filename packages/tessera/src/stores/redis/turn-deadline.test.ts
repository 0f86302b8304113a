import { describe, expect, it } from "vitest";
import { isCommandTimeout } from "./connection.js";
import { type DeadlineCommand, turnDeadline } from "./turn-deadline.js";

/** A command as a driver holds it: a promise, settled by the driver's reply or by `reject`. */
function command(): DeadlineCommand & { resolve(): void; outcome: Promise<string>; rejections: number } {
  let resolve!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((ok, failed) => {
    resolve = ok;
    fail = failed;
  });
  const outcome = promise.then(
    () => "answered",
    (error: unknown) => (isCommandTimeout(error) ? "timed out" : "failed"),
  );
  const made = {
    promise,
    resolve,
    outcome,
    rejections: 0,
    reject(error: Error) {
      made.rejections++;
      fail(error);
    },
  };
  return made;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("turnDeadline", () => {
  it("times out every command of a turn whose last command got no answer, and leaves answered ones alone", async () => {
    const deadline = turnDeadline();
    const [first, second, last] = [command(), command(), command()];
    for (const each of [first, second, last]) expect(deadline.add(each, 30)).toBe(true);
    first.resolve();
    await nextTurn();
    expect(await Promise.all([first.outcome, second.outcome, last.outcome])).toEqual(["answered", "timed out", "timed out"]);
  });

  it("times out nothing once the turn's last command is answered (one connection answers in order)", async () => {
    const deadline = turnDeadline();
    const commands = [command(), command(), command()];
    for (const each of commands) deadline.add(each, 30);
    await nextTurn();
    for (const each of commands) each.resolve();
    // Well past the deadline: a timer left armed would have fired.
    await sleep(120);
    expect(await Promise.all(commands.map((each) => each.outcome))).toEqual(["answered", "answered", "answered"]);
    expect(commands.map((each) => each.rejections)).toEqual([0, 0, 0]);
  });

  it("starts a new deadline in the next turn, and refuses a command with another timeout than its turn's", async () => {
    const deadline = turnDeadline();
    const early = command();
    deadline.add(early, 30);
    expect(deadline.add(command(), 60)).toBe(false);
    await nextTurn();
    const later = command();
    expect(deadline.add(later, 2000)).toBe(true);
    early.resolve();
    await sleep(120);
    later.resolve();
    expect(await Promise.all([early.outcome, later.outcome])).toEqual(["answered", "answered"]);
  });
});
