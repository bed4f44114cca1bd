import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInvokeMode } from '../../deploy/dockerfile.ts';
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

  it('refuses a mode the adapter does not have', () => {
    expect(() => readInvokeMode('FROM b\nENV AWS_LWA_INVOKE_MODE=streaming\n')).toThrow(DeployError);
  });
});
