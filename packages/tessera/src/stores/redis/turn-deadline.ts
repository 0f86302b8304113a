import { commandTimedOut } from "./connection.js";
import { realSetImmediate } from "./real-set-immediate.js";

/** The part of a driver's command that {@link turnDeadline} uses: its promise, and how to fail it. */
export interface DeadlineCommand {
  readonly promise: Promise<unknown>;
  reject(error: Error): void;
}

/**
 * One deadline for all the commands one connection sends in one event-loop turn, where a timer per
 * command would be armed and cleared for each: `add` returns `false` when it cannot take the
 * command (no `setImmediate`, or another `timeoutMs` than the turn's), and the caller arms the
 * command's own.
 *
 * The turn's timer rejects every command of the turn with {@link commandTimedOut} `timeoutMs`
 * after the first was added (a command settled by then is not changed), unless the turn's last
 * command has settled by then: one connection answers in order, so then every command of the
 * turn has. Each command's deadline is at most `timeoutMs` after it was sent.
 *
 * Why: under load one turn sends the `GETEX` of many reads (they share one socket write, see
 * `turnCoalescer`); one timer and one promise reaction per turn instead of a timer per read.
 */
export function turnDeadline(): { add(command: DeadlineCommand, timeoutMs: number): boolean } {
  let turn: DeadlineCommand[] | undefined;
  let turnTimeoutMs = 0;
  return {
    add(command, timeoutMs) {
      if (turn === undefined) {
        if (realSetImmediate === undefined) return false;
        const commands: DeadlineCommand[] = [];
        turn = commands;
        turnTimeoutMs = timeoutMs;
        const timer = setTimeout(() => {
          for (const late of commands) late.reject(commandTimedOut());
        }, timeoutMs);
        realSetImmediate(() => {
          turn = undefined;
          const clear = () => clearTimeout(timer);
          commands[commands.length - 1]!.promise.then(clear, clear);
        });
      } else if (timeoutMs !== turnTimeoutMs) {
        return false;
      }
      turn.push(command);
      return true;
    },
  };
}
