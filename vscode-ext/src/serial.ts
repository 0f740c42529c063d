// Runs async jobs one after another, in the order they were asked for. The language client's start,
// stop and restarts go through one: two restarts at once (the key command and the secret-change event
// both react to a new key) would otherwise leave two clients, each registering the server's commands.

export class Serial {
  private last: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job queued before it has finished (failed or not). */
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.last.then(job, job);
    this.last = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every job queued so far has finished. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.last;
      await seen;
    } while (seen !== this.last);
  }
}
