import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { finalStageEnv, readInvokeMode } from '../../deploy/dockerfile.ts';
import { DeployError } from '../../deploy/errors.ts';

describe('the Function URL invoke mode, read from Dockerfile.lambda', () => {
  it('matches the repository’s Dockerfile.lambda', () => {
    const text = readFileSync(new URL('../../Dockerfile.lambda', import.meta.url), 'utf8');
    const declared = /AWS_LWA_INVOKE_MODE=(\w+)/.exec(text)?.[1];
    expect(declared).toBeDefined();
    expect(readInvokeMode(text)).toBe(declared === 'response_stream' ? 'RESPONSE_STREAM' : 'BUFFERED');
  });

  it('reads the final stage, through continuation lines, build arguments and an inherited stage', () => {
    expect(
      readInvokeMode('FROM a AS x\nENV AWS_LWA_INVOKE_MODE=response_stream\nFROM b\nENV PORT=8080\n'),
    ).toBe('BUFFERED');
    expect(readInvokeMode('FROM b\nENV PORT=8080 \\\n    AWS_LWA_INVOKE_MODE="response_stream"\n')).toBe(
      'RESPONSE_STREAM',
    );
    expect(readInvokeMode(`ARG MODE=response_stream\nFROM b\nENV AWS_LWA_INVOKE_MODE=\${MODE}\n`)).toBe(
      'RESPONSE_STREAM',
    );
    expect(readInvokeMode('FROM b AS base\nENV AWS_LWA_INVOKE_MODE buffered\nFROM base\nCMD ["x"]\n')).toBe(
      'BUFFERED',
    );
    expect(readInvokeMode('FROM b AS base\nENV AWS_LWA_INVOKE_MODE=RESPONSE_STREAM\nFROM base\n')).toBe(
      'RESPONSE_STREAM',
    );
  });

  it('ends Lambda’s init early when the database restore is slow (AWS_LWA_ASYNC_INIT), and keeps /tmp paths', () => {
    const env = finalStageEnv(readFileSync(new URL('../../Dockerfile.lambda', import.meta.url), 'utf8'));
    // Without it, a restore longer than Lambda's 10 s init window restarts init, again and again.
    expect(env.get('AWS_LWA_ASYNC_INIT')).toBe('true');
    expect(env.get('AWS_LWA_READINESS_CHECK_PATH')).toBe('/healthz');
    for (const name of ['CC_WORK_DIR', 'CC_LOCAL_STORE_DIR', 'CC_SESSION_KEY_FILE']) {
      expect(env.get(name), name).toMatch(/^\/tmp\//);
    }
  });

  it('reads the environment a stage inherits, the later value winning', () => {
    const env = finalStageEnv('FROM a AS base\nENV A=1 B=2\nFROM base\nENV B=3\n');
    expect(Object.fromEntries(env)).toEqual({ A: '1', B: '3' });
  });

  it('refuses a mode the adapter does not have', () => {
    expect(() => readInvokeMode('FROM b\nENV AWS_LWA_INVOKE_MODE=streaming\n')).toThrow(DeployError);
  });
});
