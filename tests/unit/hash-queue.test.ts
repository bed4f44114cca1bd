import { describe, expect, it } from 'vitest';
import { HashQueue } from '../../src/server/auth/hash-queue.ts';
import { isAppError } from '../../src/server/errors.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe('HashQueue', () => {
  it('runs at most `concurrency` hashes at once and the rest in arrival order', async () => {
    const q = new HashQueue(2, 10_000);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      q.run(async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0, 1]);
    expect(q.load).toEqual({ running: 2, waiting: 2 });
    gates[1]?.open();
    await runs[1];
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(q.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a hash that waited past the limit with busy (503, Retry-After), and runs nothing for it', async () => {
    const q = new HashQueue(1, 30);
    const g = gate();
    const first = q.run(() => g.opened);
    let ran = false;
    const second = q.run(async () => {
      ran = true;
    });
    const err = await second.catch((e: unknown) => e);
    expect(isAppError(err, 'busy')).toBe(true);
    expect((err as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect(q.load).toEqual({ running: 1, waiting: 0 });
    g.open();
    await first;
    expect(ran).toBe(false);
    await q.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('with no wait allowed, refuses at once when full', async () => {
    const q = new HashQueue(1, 0);
    const g = gate();
    const first = q.run(() => g.opened);
    await expect(q.run(async () => 1)).rejects.toMatchObject({ code: 'busy' });
    g.open();
    await first;
  });

  it('frees the slot when a hash throws', async () => {
    const q = new HashQueue(1, 1000);
    await expect(q.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await q.run(async () => 'next')).toBe('next');
  });
});
