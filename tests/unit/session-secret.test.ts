/**
 * loadSessionSecret: the operator's key, else the SSM parameter the deploy creates (its requests
 * checked with aws-sdk-client-mock: AWS cannot be reached from here), else a key file made once.
 * The key file's race is run for real: loaders in this process at once, and separate processes
 * released together.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSessionSecret, SessionSecretError } from '../../src/server/auth/session-secret.ts';
import { loadConfig } from '../../src/server/config.ts';

const MODULE = new URL('../../src/server/auth/session-secret.ts', import.meta.url).href;
const PARAMETER = '/code-canvas/prod/session-secret';
const ssm = mockClient(SSMClient);
afterAll(() => ssm.restore());

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-session-key-'));
  ssm.reset();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const client = () =>
  new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const config = (env: Record<string, string>) =>
  loadConfig({ CC_SESSION_KEY_FILE: join(dir, 'session.key'), ...env });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as SessionSecretError,
  );
function serviceError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });
}

describe('the session signing key', () => {
  it('is CC_SESSION_SECRET when set: nothing is read from SSM and no file is made', async () => {
    const secret = 's'.repeat(40);
    const key = await loadSessionSecret(
      config({ CC_SESSION_SECRET: secret, CC_SESSION_SECRET_PARAMETER: PARAMETER }),
      {
        ssm: client(),
      },
    );
    expect(key).toBe(secret);
    expect(ssm.calls()).toHaveLength(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reads the SSM parameter with decryption, and makes no key file', async () => {
    const value = 'a1'.repeat(32);
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: value } });
    const key = await loadSessionSecret(config({ CC_SESSION_SECRET_PARAMETER: PARAMETER }), {
      ssm: client(),
    });
    expect(key).toBe(value);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: PARAMETER, WithDecryption: true },
    ]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the parameter and the missing permission when SSM refuses, in one line', async () => {
    const cases: [Error, RegExp][] = [
      [
        serviceError(
          'AccessDeniedException',
          'User: arn:aws:sts::1:assumed-role/r/f is not authorized to perform: ssm:GetParameter',
          400,
        ),
        /^session secret: access denied reading SSM parameter \/code-canvas\/prod\/session-secret \(.*\): this process's role needs ssm:GetParameter on \/code-canvas\/prod\/session-secret/,
      ],
      [
        serviceError(
          'AccessDeniedException',
          'The ciphertext refers to a customer master key that does not exist, or you are not authorized to call kms:Decrypt',
          400,
        ),
        /needs kms:Decrypt on the parameter's KMS key/,
      ],
      [
        serviceError('ParameterNotFound', '', 400),
        /^session secret: SSM parameter \/code-canvas\/prod\/session-secret does not exist: `npm run deploy` creates it/,
      ],
    ];
    for (const [error, expected] of cases) {
      ssm.reset();
      ssm.on(GetParameterCommand).rejects(error);
      const err = await failure(
        loadSessionSecret(config({ CC_SESSION_SECRET_PARAMETER: PARAMETER }), { ssm: client() }),
      );
      expect(err).toBeInstanceOf(SessionSecretError);
      expect(err?.message).toMatch(expected);
      expect(err?.message).not.toContain('\n');
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a parameter that holds no usable key', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: 'short' } });
    const err = await failure(
      loadSessionSecret(config({ CC_SESSION_SECRET_PARAMETER: PARAMETER }), { ssm: client() }),
    );
    expect(err?.message).toBe(
      `session secret: SSM parameter ${PARAMETER} does not hold a key (at least 32 printable characters, no spaces)`,
    );
  });

  it('refuses a malformed parameter name at start, naming the setting', () => {
    expect(() => loadConfig({ CC_SESSION_SECRET_PARAMETER: 'my secret' })).toThrow(
      'CC_SESSION_SECRET_PARAMETER: "my secret" is not an SSM parameter name',
    );
    expect(
      loadConfig({ CC_SESSION_SECRET_PARAMETER: 'arn:aws:ssm:eu-west-1:123456789012:parameter/a/b' }),
    ).toMatchObject({ sessionSecretParameter: 'arn:aws:ssm:eu-west-1:123456789012:parameter/a/b' });
    expect(loadConfig({}).sessionKeyFile).toBe('./data/session.key');
  });

  it('otherwise creates a key file once, readable by its owner only, and reads it back on every later start', async () => {
    const file = join(dir, 'nested', 'session.key');
    const first = await loadSessionSecret(config({ CC_SESSION_KEY_FILE: file }));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await readFile(file, 'utf8')).toBe(`${first}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadSessionSecret(config({ CC_SESSION_KEY_FILE: file }))).toBe(first);
    expect(await readdir(join(dir, 'nested'))).toEqual(['session.key']);
  });

  it('gives loaders racing in one process the same key, and leaves no temporary file', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSessionSecret(config({}))));
    expect(new Set(keys).size).toBe(1);
    expect(await readFile(join(dir, 'session.key'), 'utf8')).toBe(`${keys[0]}\n`);
    expect(await readdir(dir)).toEqual(['session.key']);
  });

  it('gives processes starting at once the same key: the losers read the winner’s file', async () => {
    const file = join(dir, 'session.key');
    const go = join(dir, 'go');
    // Each process loads the module first, then waits for `go`, so they reach the file together.
    const script = `
      import { existsSync } from 'node:fs';
      const { loadSessionSecret } = await import(process.argv[1]);
      while (!existsSync(process.argv[3])) await new Promise((r) => setTimeout(r, 1));
      process.stdout.write(await loadSessionSecret({ sessionKeyFile: process.argv[2] }));
    `;
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, MODULE, file, go], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (err += c));
      return new Promise<string>((resolve, reject) =>
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)))),
      );
    });
    await new Promise((r) => setTimeout(r, 1500));
    await writeFile(go, '');
    const keys = await Promise.all(children);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(keys).size).toBe(1);
    expect(await readFile(file, 'utf8')).toBe(`${keys[0]}\n`);
    expect((await readdir(dir)).sort()).toEqual(['go', 'session.key']);
  }, 60_000);

  it('stops on a key file that holds no key, naming it, and leaves it as it was', async () => {
    const file = join(dir, 'session.key');
    for (const content of ['', 'too short\n', `${'x'.repeat(20)} ${'y'.repeat(20)}\n`]) {
      await writeFile(file, content);
      const err = await failure(loadSessionSecret(config({})));
      expect(err).toBeInstanceOf(SessionSecretError);
      expect(err?.message).toBe(
        `session secret: the key file ${file} does not hold a key (one line of at least 32 printable characters): fix it, or delete it to have a new key made (which logs everybody out)`,
      );
      expect(await readFile(file, 'utf8')).toBe(content);
    }
  });

  it('says which path it cannot use, and how to choose another', async () => {
    await writeFile(join(dir, 'plain-file'), '');
    const file = join(dir, 'plain-file', 'session.key');
    const err = await failure(loadSessionSecret(config({ CC_SESSION_KEY_FILE: file })));
    expect(err?.message).toMatch(
      new RegExp(
        `^session secret: cannot read the key file ${file}: ENOTDIR.* \\(set CC_SESSION_KEY_FILE to a usable path, or CC_SESSION_SECRET\\)$`,
      ),
    );
  });
});
