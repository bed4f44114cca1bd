/**
 * Where the session-cookie signing key comes from, decided once at start. In order:
 *
 * 1. `CC_SESSION_SECRET`, when the operator sets one (config.ts checks it is ≥ 32 characters).
 * 2. `CC_SESSION_SECRET_PARAMETER`: an SSM Parameter Store SecureString, read with decryption.
 *    `npm run deploy` creates `/<app>/<stage>/session-secret` once and gives the function this
 *    setting and ssm:GetParameter on exactly that parameter: every instance shares one key, and
 *    the key is not readable by whoever may read the function's configuration.
 * 3. `CC_SESSION_KEY_FILE` (default `./data/session.key`): created once with a random key, mode
 *    0600; later starts read it. For one machine (`npm start`, `docker run`): processes that share
 *    the file share the key.
 *
 * The key file is created without ever being visible half-written: the key goes into a private
 * temporary file opened with O_EXCL, which is then hard-linked to the key file's name. link() fails
 * with EEXIST when the name exists, so of two processes starting at once exactly one creates the
 * file, and the other reads the winner's key. (O_EXCL on the key file's own name would let the
 * loser read it empty, between the winner's open and write.) A key file that exists but does not
 * hold a key is an error naming it — never silently replaced, since a new key logs everybody out.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../config.ts';

/** Why no signing key could be had; the message is one line naming the parameter or file and the fix. */
export class SessionSecretError extends Error {
  readonly code = 'session_secret';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionSecretError';
  }
}

export interface SessionSecretOptions {
  /** Client for the parameter (tests pass a mocked one). Default: one for the SDK's region (AWS_REGION). */
  ssm?: SSMClient;
}

/** A key as the app accepts it: at least 32 printable characters, no whitespace. */
const KEY = /^[\x21-\x7e]{32,}$/;
const SSM_TIMEOUT_MS = 5000;

/**
 * The session signing key: CC_SESSION_SECRET, else the SSM parameter, else the key file (created on
 * first use). Call once at start, before serving: it may read SSM or the disk. Rejects with a
 * SessionSecretError whose message says what is missing and how to fix it.
 */
export async function loadSessionSecret(
  config: Pick<Config, 'sessionSecret' | 'sessionSecretParameter' | 'sessionKeyFile'>,
  opts: SessionSecretOptions = {},
): Promise<string> {
  if (config.sessionSecret !== undefined) return config.sessionSecret;
  if (config.sessionSecretParameter !== undefined) {
    return readParameter(config.sessionSecretParameter, opts.ssm);
  }
  return readOrCreateKeyFile(config.sessionKeyFile);
}

async function readParameter(Name: string, given: SSMClient | undefined): Promise<string> {
  const ssm =
    given ??
    new SSMClient({
      // Name may be an ARN, which names its region; otherwise the SDK's own (AWS_REGION on Lambda).
      ...(Name.startsWith('arn:') ? { region: Name.split(':')[3] } : {}),
      // A cold start must not hang on an unreachable endpoint: fail, and let /healthz say why.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: SSM_TIMEOUT_MS,
        requestTimeout: SSM_TIMEOUT_MS,
      }),
    });
  let value: string | undefined;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name, WithDecryption: true }));
    value = out.Parameter?.Value;
  } catch (err) {
    throw parameterError(Name, err);
  } finally {
    if (!given) ssm.destroy();
  }
  if (value === undefined || !KEY.test(value)) {
    throw new SessionSecretError(
      `session secret: SSM parameter ${Name} does not hold a key (at least 32 printable characters, no spaces)`,
    );
  }
  return value;
}

function parameterError(name: string, err: unknown): SessionSecretError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const message = (e.message ?? String(err)).split('\n')[0] ?? '';
  const code = e.name ?? 'Error';
  if (code === 'ParameterNotFound') {
    return new SessionSecretError(
      `session secret: SSM parameter ${name} does not exist: \`npm run deploy\` creates it, or point CC_SESSION_SECRET_PARAMETER at one that does`,
      { cause: err },
    );
  }
  if (code === 'AccessDeniedException' || e.$metadata?.httpStatusCode === 403) {
    const permission = /kms/i.test(message)
      ? "kms:Decrypt on the parameter's KMS key"
      : `ssm:GetParameter on ${name}`;
    return new SessionSecretError(
      `session secret: access denied reading SSM parameter ${name} (${message}): this process's role needs ${permission} (\`npm run deploy\` grants the function its own)`,
      { cause: err },
    );
  }
  if (code === 'CredentialsProviderError' || /region is missing/i.test(message)) {
    return new SessionSecretError(
      `session secret: cannot read SSM parameter ${name}: ${message} (set AWS credentials and AWS_REGION, or CC_SESSION_SECRET instead)`,
      { cause: err },
    );
  }
  return new SessionSecretError(`session secret: read SSM parameter ${name}: ${code}: ${message}`, {
    cause: err,
  });
}

async function readOrCreateKeyFile(path: string): Promise<string> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  const key = randomBytes(32).toString('hex');
  const tmp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const file = await open(tmp, 'wx', 0o600);
    try {
      await file.writeFile(`${key}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await link(tmp, path);
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Another process created it first: its key is the key.
      const theirs = await readKeyFile(path);
      if (theirs === undefined) throw err;
      return theirs;
    }
  } catch (err) {
    if (err instanceof SessionSecretError) throw err;
    throw new SessionSecretError(
      `session secret: cannot create the key file ${path}: ${(err as Error).message} (set CC_SESSION_KEY_FILE to a writable path, or CC_SESSION_SECRET)`,
      { cause: err },
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The key in the file at `path`, or undefined when there is no such file. */
async function readKeyFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SessionSecretError(
      `session secret: cannot read the key file ${path}: ${(err as Error).message} (set CC_SESSION_KEY_FILE to a usable path, or CC_SESSION_SECRET)`,
      { cause: err },
    );
  }
  const key = text.replace(/\r?\n$/, '');
  if (!KEY.test(key)) {
    throw new SessionSecretError(
      `session secret: the key file ${path} does not hold a key (one line of at least 32 printable characters): fix it, or delete it to have a new key made (which logs everybody out)`,
    );
  }
  return key;
}
