import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageTag } from '../../deploy/build-info.ts';
import { DeployError } from '../../deploy/errors.ts';
import { resourceNames } from '../../deploy/names.ts';
import { OPTIONS } from '../../deploy/options.ts';
import { parseSettings } from '../../deploy/settings.ts';

const identity = {
  account: '123456789012',
  arn: 'arn:aws:iam::123456789012:user/o',
  partition: 'aws',
  region: 'eu-west-1',
};

describe('deploy settings', () => {
  it('has sensible defaults', () => {
    const s = parseSettings(['deploy'], {});
    expect(s).toMatchObject({
      command: 'deploy',
      app: 'code-canvas',
      stage: 'prod',
      region: undefined,
      architecture: 'x86_64',
      memoryMb: 1024,
      timeoutS: 30,
      ephemeralStorageMb: 512,
      noncurrentDays: 30,
      noncurrentKeep: 5,
      keepImages: 10,
      logRetentionDays: 30,
      dbKey: 'code-canvas/app.sqlite',
      maxStalenessMs: undefined,
      dryRun: false,
    });
  });

  it('takes a flag over its environment variable, and the environment over the default', () => {
    const env = { CC_DEPLOY_STAGE: 'staging', CC_DEPLOY_MEMORY_MB: '2048', CC_DEPLOY_ARCH: 'arm64' };
    expect(parseSettings(['deploy'], env)).toMatchObject({
      stage: 'staging',
      memoryMb: 2048,
      architecture: 'arm64',
    });
    expect(parseSettings(['deploy', '--stage', 'dev', '--memory', '512'], env)).toMatchObject({
      stage: 'dev',
      memoryMb: 512,
    });
  });

  it('gives each stage wholly separate resource names', () => {
    const prod = resourceNames(parseSettings(['deploy'], {}), identity);
    const dev = resourceNames(parseSettings(['deploy', '--stage', 'dev'], {}), identity);
    for (const key of [
      'bucket',
      'repository',
      'role',
      'functionName',
      'logGroup',
      'roleArn',
      'bucketArn',
    ] as const) {
      expect(dev[key], key).not.toBe(prod[key]);
      expect(dev[key], key).toContain('code-canvas-dev');
    }
    expect(prod.bucket).toBe('code-canvas-prod-123456789012-eu-west-1');
  });

  it('refuses malformed values with one line naming the flag and its variable', () => {
    const error = (args: string[], env = {}) => {
      try {
        parseSettings(args, env);
      } catch (err) {
        expect(err).toBeInstanceOf(DeployError);
        return (err as DeployError).message;
      }
      throw new Error(`accepted ${args.join(' ')}`);
    };
    expect(error(['deploy', '--memory', '64'])).toBe(
      '--memory / CC_DEPLOY_MEMORY_MB: "64" is not a whole number in 128–10240',
    );
    expect(error(['deploy'], { CC_DEPLOY_ARCH: 'x86' })).toBe(
      '--arch / CC_DEPLOY_ARCH: "x86" is not x86_64 or arm64',
    );
    expect(error(['deploy', '--stage', 'Prod'])).toMatch(/^--stage \/ CC_DEPLOY_STAGE: "Prod" must be/);
    expect(error(['deploy', '--region', 'europe'])).toBe('region "europe" is not an AWS region name');
    expect(error(['deploy', '--log-retention-days', '31'])).toMatch(/CloudWatch accepts only 1, 3, 5/);
    expect(error(['deploy', '--env', 'AWS_REGION=x'])).toBe('--env AWS_REGION: set by the deploy itself');
    expect(error(['deploy', '--env', 'novalue'])).toBe('--env "novalue": expected NAME=VALUE');
    expect(error(['rollback', '--memory', '512'])).toMatch(/^rollback: Unknown option '--memory'/);
    expect(error(['ship'])).toBe('unknown command "ship"');
  });

  it('tags an image by commit, time and architecture, so a clean commit names one image', () => {
    const t = '2025-11-20T10:00:00Z';
    expect(imageTag('0123456789abcdef', t, 'x86_64', false, {})).toBe('0123456789ab-20251120T100000Z-x86_64');
    expect(imageTag('0123456789abcdef', t, 'arm64', true, {})).toBe(
      '0123456789ab-20251120T100000Z-arm64-dirty',
    );
    const a = imageTag('0123456789abcdef', t, 'x86_64', false, { NODE_IMAGE: 'mirror/node:24' });
    expect(a).toMatch(/^0123456789ab-20251120T100000Z-x86_64-[0-9a-f]{8}$/);
    expect(imageTag('0123456789abcdef', t, 'x86_64', false, { NODE_IMAGE: 'other/node:24' })).not.toBe(a);
  });

  it('is documented in docs/deploy.md: every flag and environment variable', () => {
    const section = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    for (const o of OPTIONS) {
      expect(section, `--${o.flag}`).toContain(`--${o.flag}`);
      if (o.env) expect(section, o.env).toContain(o.env);
    }
  });
});
