/**
 * The operator's CLI as a real child process: expected errors are one line on stderr, exit 1, no
 * stack trace. The no-credentials run empties every AWS_* variable and points HOME at an empty
 * folder (no ~/.aws); AWS_EC2_METADATA_DISABLED keeps the SDK from probing the EC2 metadata address,
 * which is not on loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Like run(), without blocking this process (the test's own server must answer meanwhile). */
function runAsync(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number | null; stderr: string[] }>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (status) =>
      resolve({ status, stderr: stderr.split('\n').filter((l) => l.trim() !== '') }),
    );
  });
}

/**
 * Every AWS endpoint of the CLI (AWS_ENDPOINT_URL) on a loopback stand-in that records the region
 * each request was signed for: STS answers who we are, Lambda that there is no `live` alias.
 */
async function withAwsStandIn(test: (url: string, regions: string[]) => Promise<void>) {
  const regions: string[] = [];
  const server = createServer((req, res) => {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '');
    regions.push(`${scope?.[2]}:${scope?.[1]}`);
    req.resume();
    if (scope?.[2] === 'sts') {
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/o</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
        );
    } else {
      res
        .writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ResourceNotFoundException',
        })
        .end('{"Type":"User","Message":"Function not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, regions);
  } finally {
    server.close();
  }
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
      '✖ no AWS region configured — set AWS_REGION (or AWS_DEFAULT_REGION), add `region = …` to the profile in ~/.aws/config, or pass --region',
    ]);
  });

  it('takes the region from AWS_DEFAULT_REGION (the AWS CLI’s variable) for every call, after AWS_REGION', async () => {
    await withAwsStandIn(async (url, regions) => {
      const creds = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: url };
      const r = await runAsync(
        ['deploy/cli.ts', 'rollback'],
        bareEnv({ ...creds, AWS_DEFAULT_REGION: 'ap-southeast-2' }),
      );
      expect(r.stderr).toEqual([
        '✖ lambda: code-canvas-prod has no live alias: nothing is deployed in stage prod — deploy first with `npm run deploy`',
      ]);
      expect(r.status).toBe(1);
      expect(regions).toEqual(['sts:ap-southeast-2', 'lambda:ap-southeast-2']);

      regions.length = 0;
      await runAsync(
        ['deploy/cli.ts', 'rollback'],
        bareEnv({ ...creds, AWS_DEFAULT_REGION: 'ap-southeast-2', AWS_REGION: 'eu-west-1' }),
      );
      expect(regions).toEqual(['sts:eu-west-1', 'lambda:eu-west-1']);

      const bad = await runAsync(
        ['deploy/cli.ts', 'rollback'],
        bareEnv({ ...creds, AWS_DEFAULT_REGION: 'sydney' }),
      );
      expect(bad.stderr).toEqual([
        '✖ AWS_DEFAULT_REGION: region "sydney" is not an AWS region name — use a name such as eu-west-1 (AWS_REGION, AWS_DEFAULT_REGION, the profile’s region, or --region)',
      ]);
    });
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
