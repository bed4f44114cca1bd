/**
 * `npm run bench`: every benchmark in turn, each printing its own table with ratios against a
 * baseline measured in the same run. A benchmark whose prerequisite is missing is skipped with the
 * reason (lighthouse needs Chromium; persistence needs CC_TEST_S3_ENDPOINT; image needs a Docker
 * engine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
const benches: { name: string; file: string; skip?: string }[] = [
  { name: 'http', file: 'bench/http.ts' },
  { name: 'login-flood', file: 'bench/login-flood.ts' },
  { name: 'shutdown', file: 'bench/shutdown.ts' },
  {
    name: 'lighthouse',
    file: 'bench/lighthouse.ts',
    skip: existsSync(process.env.CHROME_PATH ?? '/usr/bin/chromium')
      ? undefined
      : 'no Chromium at CHROME_PATH (default /usr/bin/chromium)',
  },
  {
    name: 'persistence',
    file: 'bench/persistence.ts',
    skip: process.env.CC_TEST_S3_ENDPOINT
      ? undefined
      : 'set CC_TEST_S3_ENDPOINT (and its credentials) to an S3 to measure',
  },
  {
    name: 'fleet',
    file: 'bench/fleet.ts',
    skip: process.env.CC_TEST_S3_ENDPOINT
      ? undefined
      : 'set CC_TEST_S3_ENDPOINT (and its credentials) to an S3 to measure',
  },
  {
    name: 'image',
    file: 'bench/image.ts',
    skip: dockerUp ? undefined : 'no Docker engine answers (`docker info`)',
  },
];

let failed = 0;
for (const b of benches) {
  process.stdout.write(`\n##### bench:${b.name}\n`);
  if (b.skip) {
    process.stdout.write(`skipped: ${b.skip}\n`);
    continue;
  }
  const res = spawnSync(process.execPath, [b.file], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    process.stdout.write(`bench:${b.name} failed (exit ${res.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
