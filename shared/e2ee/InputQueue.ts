// InputQueue: a KeyAgent's inputs run one at a time, in call order, each alone with the effects it
// causes. An input's caller gets exactly its own effects, even when callers do not await each
// other; an input that throws rejects only its own call, and the queue goes on.

export class InputQueue<E> {
  private tail: Promise<unknown> = Promise.resolve();
  private effects: E[] = [];

  /** Records an effect of the input being processed. */
  emit(e: E): void {
    this.effects.push(e);
  }

  /**
   * Queues `input`. `admit` runs first and throws to refuse it (closed, not started); `finish`
   * runs after it, still within it, so what it emits belongs to the same input.
   */
  run(admit: () => void, input: () => void | Promise<void>, finish: () => void): Promise<E[]> {
    return this.after(async () => {
      admit();
      this.effects = [];
      try {
        const pending = input();
        if (pending !== undefined) await pending;
        finish();
        return this.effects;
      } finally {
        this.effects = [];
      }
    });
  }

  /** Queues `fn` as is, without effect collection (closing). */
  after<T>(fn: () => T | Promise<T>): Promise<T> {
    const p = this.tail.then(fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
