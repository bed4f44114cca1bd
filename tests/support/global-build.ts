import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds the app once before the integration tests (they start real `node server.ts` processes).
 * CC_TEST_SKIP_BUILD=1 reuses an existing dist/ (e.g. when `npm run build` just ran).
 */
export default function setup(): void {
  const entry = `${root}dist/server/entry.mjs`;
  if (process.env.CC_TEST_SKIP_BUILD === '1' && existsSync(entry)) return;
  const t0 = Date.now();
  execFileSync(process.execPath, [`${root}node_modules/astro/bin/astro.mjs`, 'build', '--silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  process.stdout.write(`built the app in ${Date.now() - t0} ms (${statSync(entry).size} byte entry)\n`);
}
