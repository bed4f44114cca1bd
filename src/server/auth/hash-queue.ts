import { AppError } from '../errors.ts';

interface Waiter {
  start(): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Caps the password hashes running at once on this instance. A hash is the one costly thing an
 * anonymous client can ask for (scrypt: ~50 ms of a core, on libuv's thread pool, which file I/O
 * shares); uncapped, a flood of logins takes the CPU and the thread pool from every signed-in user.
 *
 * A hash past the cap waits its turn, first come first served, for at most `waitMs`; then it is
 * refused with AppError('busy') (503, Retry-After), having cost nothing.
 */
export class HashQueue {
  private readonly concurrency: number;
  private readonly waitMs: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(concurrency: number, waitMs: number) {
    this.concurrency = concurrency;
    this.waitMs = waitMs;
  }

  /** Runs `hash` once a slot is free; AppError('busy') if none frees within the wait. */
  async run<T>(hash: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await hash();
    } finally {
      this.running--;
      this.waiting.shift()?.start();
    }
  }

  /** Hashes running and waiting right now (for tests and diagnostics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waitMs === 0) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.running++;
          resolve();
        },
        timer: undefined,
      };
      waiter.timer = setTimeout(() => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(busy());
      }, this.waitMs);
      this.waiting.push(waiter);
    });
  }
}

function busy(): AppError {
  return new AppError('busy', 'Too many people are signing in right now. Try again in a moment.', {
    retryAfterSeconds: 1,
  });
}
