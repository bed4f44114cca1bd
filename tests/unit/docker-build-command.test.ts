import { describe, expect, it } from 'vitest';
import { dockerBuildCommand } from '../../docker/build-command.ts';

const base = {
  dockerfile: 'Dockerfile.lambda',
  tag: 'app:1',
  buildArgs: { A: '1' },
  context: '.',
  env: { PATH: '/bin' },
};

describe('docker build command', () => {
  it('builds one platform with buildx and no attestations, which Lambda requires', () => {
    const { args, env } = dockerBuildCommand({ ...base, buildx: true, platform: 'linux/arm64' });
    expect(args).toEqual([
      'buildx',
      'build',
      '--load',
      '--provenance=false',
      '--sbom=false',
      '--platform',
      'linux/arm64',
      '--file',
      'Dockerfile.lambda',
      '--tag',
      'app:1',
      '--build-arg',
      'A=1',
      '.',
    ]);
    expect(env.DOCKER_BUILDKIT).toBeUndefined();
  });

  it('falls back to the classic builder explicitly, on the host network when there is no bridge', () => {
    const { args, env } = dockerBuildCommand({ ...base, buildx: false, network: 'host' });
    expect(args.slice(0, 2)).toEqual(['build', '--force-rm']);
    expect(args).toContain('--network');
    expect(args).not.toContain('--platform');
    expect(env).toEqual({ PATH: '/bin', DOCKER_BUILDKIT: '0' });
  });
});
