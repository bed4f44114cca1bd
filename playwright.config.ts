import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, devices } from '@playwright/test';

/**
 * Browser tests (tests/e2e) on the system Chromium.
 *
 * - CC_E2E_BASE_URL set: test that server (e.g. the container in the parity test) and start nothing.
 * - Otherwise: start `node server.ts` (after `npm run build`, which `npm run test:e2e` does) on a
 *   free loopback port with a fresh temporary database, so runs never share or leave data.
 *
 * The config is evaluated again in every worker process; the chosen port and data directory travel
 * to them through environment variables set the first time.
 */

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

function findChromium(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new Error(
      `e2e: CHROMIUM_PATH is ${configured}, which does not exist; point it at a Chromium binary.`,
    );
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(
    'e2e: no Chromium at /usr/bin/chromium. Install it with `apt-get install chromium`, ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome binary.',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The specs that run without JavaScript, and at 360 px, as well as on the desktop. */
const NO_JS = /(flow|phone|first-hits|paging|once|board-features)\.spec\.ts$/;
const AT_360 = /(phone|first-hits|paging|dnd|shortcuts|board-features|preview)\.spec\.ts$/;
const PHONE = {
  ...devices['Desktop Chrome'],
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

const external = process.env.CC_E2E_BASE_URL?.replace(/\/+$/, '') || undefined;
if (!external) {
  process.env.CC_E2E_PORT ??= String(await freePort());
  process.env.CC_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'cc-e2e-'));
}
const baseURL = external ?? `http://127.0.0.1:${process.env.CC_E2E_PORT}`;
const dataDir = process.env.CC_E2E_DATA_DIR ?? '';
const executablePath = findChromium();

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  // Generous: a test needs ~10-30 s on a quiet two-core machine and several times that when the
  // machine is shared; the bound is for a hung test, not a slow one.
  timeout: 120_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  globalTeardown: './tests/e2e/support/teardown.ts',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath, args: CHROMIUM_ARGS },
  },
  projects: [
    { name: 'chromium', use: { ...devices['Desktop Chrome'] } },
    {
      // The core flow and the behaviours of issue 12 again with scripts off: everything must work
      // with plain forms and links.
      name: 'chromium-no-js',
      testMatch: NO_JS,
      use: { ...devices['Desktop Chrome'], javaScriptEnabled: false },
    },
    // A 360 px touch phone (coarse pointer: 44 px targets), with and without scripts.
    { name: 'phone', testMatch: AT_360, use: PHONE },
    { name: 'phone-no-js', testMatch: AT_360, use: { ...PHONE, javaScriptEnabled: false } },
  ],
  webServer: external
    ? undefined
    : {
        command: 'node server.ts',
        url: `${baseURL}/healthz`,
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: 'ignore',
        stderr: 'pipe',
        env: {
          PORT: process.env.CC_E2E_PORT ?? '',
          HOST: '127.0.0.1',
          CC_WORK_DIR: join(dataDir, 'work'),
          CC_LOCAL_STORE_DIR: join(dataDir, 'store'),
          CC_S3_BUCKET: '',
          CC_LOG_LEVEL: 'warn',
          // Every test signs up a fresh account, all from 127.0.0.1.
          CC_SIGNUP_LIMIT_PER_IP: '100000',
        },
      },
});
