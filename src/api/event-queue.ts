/**
 * Events as an async iterator with a bounded queue. A consumer that falls further behind than
 * `maxQueue` events gets a SlowConsumerError instead of unbounded memory growth.
 */

/** The iterator's consumer fell behind by more than the queue holds. */
export class SlowConsumerError extends Error {
  override name = 'SlowConsumerError';
}

export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiting: ((e: Error) => void) | undefined;
  private error: Error | undefined;
  private done = false;

  constructor(
    private readonly maxQueue: number,
    private readonly onEnd: () => Promise<void>,
  ) {}

  push(item: T): void {
    if (this.done || this.error) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.maxQueue) {
      this.fail(new SlowConsumerError(`the consumer fell more than ${this.maxQueue} events behind; events stopped`));
      return;
    }
    this.items.push(item);
  }

  /** Ends the iteration with `error` once the queued events are consumed. */
  fail(error: Error): void {
    if (this.done || this.error) return;
    this.error = error;
    void this.onEnd().catch(() => undefined);
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = undefined;
      reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.items.length = 0;
      this.waiting?.({ value: undefined, done: true });
      this.waiting = this.failWaiting = undefined;
      await this.onEnd();
    }
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
