import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.ts';

/**
 * The key that signs session cookies, kept outside every database: CC_SESSION_SECRET when set,
 * else a file beside the working directory, created once (mode 0600, O_EXCL: two processes starting
 * at once end up with the same key).
 */
export async function loadSessionSecret(config: Config): Promise<string> {
  if (config.sessionSecret) return config.sessionSecret;
  const file = join(dirname(resolve(config.workDir)), 'session.key');
  mkdirSync(dirname(file), { recursive: true });
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('hex'));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // The winner of a creation race may not have written the key yet: wait a moment for it.
  let key = readFileSync(file, 'utf8').trim();
  for (let i = 0; key === '' && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 10));
    key = readFileSync(file, 'utf8').trim();
  }
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`${file} does not hold a session key (64 hex digits)`);
  return key;
}
