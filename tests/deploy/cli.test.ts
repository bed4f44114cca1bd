/**
 * The operator's CLI as a real child process: expected errors are one line on stderr, exit 1, no
 * stack trace. The no-credentials run empties every AWS_* variable and points HOME at an empty
 * folder (no ~/.aws); AWS_EC2_METADATA_DISABLED keeps the SDK from probing the EC2 metadata address,
 * which is not on loopback.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'cc-empty-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('CC_DEPLOY_')) env[k] = v;
  }
  return { ...env, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

function run(command: string, args: string[], env = bareEnv()) {
  const res = spawnSync(command, args, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
  return { status: res.status, stdout: lines(res.stdout), stderr: lines(res.stderr) };
}

const NO_CREDENTIALS =
  /^✖ no AWS credentials found — configure AWS credentials: .*AWS_PROFILE.*AWS_ACCESS_KEY_ID/;

describe('the deploy CLI', () => {
  it('with no credentials prints one clear line and exits 1, as `node deploy/cli.ts deploy --dry-run`', () => {
    const r = run(process.execPath, ['deploy/cli.ts', 'deploy', '--dry-run']);
    expect(r.status).toBe(1);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(NO_CREDENTIALS);
  });

  it('says the same through `npm run deploy -- --dry-run`, with nothing else but npm’s banner, and no stack trace', () => {
    const r = run('npm', ['run', 'deploy', '--', '--dry-run']);
    expect(r.status).not.toBe(0);
    // npm's own lines: the `> code-canvas@… deploy` banner, and any `npm warn|error` of its own.
    const ours = [...r.stdout, ...r.stderr].filter((l) => !l.startsWith('> ') && !l.startsWith('npm '));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(NO_CREDENTIALS);
    expect([...r.stdout, ...r.stderr].some((l) => /^\s+at /.test(l))).toBe(false);
  });

  it('with credentials but no region says how to set the region', () => {
    const r = run(
      process.execPath,
      ['deploy/cli.ts', 'rollback'],
      bareEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual([
      '✖ no AWS region configured — set AWS_REGION, add `region = …` to the profile in ~/.aws/config, or pass --region',
    ]);
  });

  it('refuses a bad flag before looking for credentials', () => {
    const r = run(process.execPath, ['deploy/cli.ts', 'deploy', '--arch', 'sparc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toEqual(['✖ --arch / CC_DEPLOY_ARCH: "sparc" is not x86_64 or arm64']);
  });

  it('prints each command’s options with --help', () => {
    const r = run(process.execPath, ['deploy/cli.ts', 'destroy', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout[0]).toBe('usage: node deploy/cli.ts destroy [options]');
    expect(r.stdout.join('\n')).toContain('--delete-data');
    expect(r.stdout.join('\n')).not.toContain('--memory');
  });
});
