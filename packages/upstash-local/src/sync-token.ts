/**
 * The `upstash-sync-token` sequence. `@upstash/redis` sends back the last token it saw so a later
 * request observes its earlier writes; here every write gets its own number when Redis has
 * answered it, so concurrent writes never share a token and a later write always has a larger
 * one. A read carries the number of writes answered so far, and so does a write Redis refused:
 * its error reply means it changed nothing a later request could observe (see `mayHaveWritten`).
 *
 * The token is taken once per request and kept in a local: reading a shared counter when the
 * response is written (as this server once did) let concurrent writes report the same token.
 */
export class SyncTokens {
  #writesAnswered = 0;

  /** The token of a request Redis has just answered; `requestWrote` when it changed the data. */
  next(requestWrote: boolean): number {
    if (requestWrote) this.#writesAnswered++;
    return this.#writesAnswered;
  }

  /** The token for a response that ran nothing (an error before Redis, a subscription). */
  get current(): number {
    return this.#writesAnswered;
  }
}
