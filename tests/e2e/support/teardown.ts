import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';

/** Removes the temporary database directory the config created for the local server (never anything else). */
export default function teardown(): void {
  const dir = process.env.CC_E2E_DATA_DIR;
  if (!dir || process.env.CC_E2E_BASE_URL) return;
  if (dirname(dir) !== tmpdir() || !basename(dir).startsWith('cc-e2e-')) return;
  rmSync(dir, { recursive: true, force: true });
}
