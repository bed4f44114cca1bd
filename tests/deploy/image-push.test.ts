/**
 * The image path for real: the deploy's own image step builds Dockerfile.lambda with Docker (local
 * base stand-ins, as the parity test does), logs in and pushes with the same code that pushes to
 * ECR — only the ECR control plane is mocked, answering with a local docker-registry's basic-auth
 * login and reading, reading manifests of and re-pointing tags in that registry through its API —
 * then the pushed digest is pulled back and run.
 *
 * Both shapes a push can leave under the tag are tried: one platform's manifest (what this engine,
 * with the classic image store, pushes) and an image index holding it and an attestation (what
 * the containerd image store pushes, and what an earlier release left under an immutable tag).
 * The engine here cannot produce an index, so the test writes one through the registry API.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../deploy/aws.ts';
import { imageTag } from '../../deploy/build-info.ts';
import { DEFAULT_TIMING, type DeployContext } from '../../deploy/context.ts';
import { cliDocker, type Docker, runDocker } from '../../deploy/docker.ts';
import { DeployError } from '../../deploy/errors.ts';
import { resourceNames } from '../../deploy/names.ts';
import { ecrRegistry, INDEX_TYPES, MANIFEST_TYPES, pushImage } from '../../deploy/registry.ts';
import { parseSettings } from '../../deploy/settings.ts';
import { ensureImage } from '../../deploy/steps/image.ts';
import { engineProblem, imageExists } from '../../docker/engine.ts';
import { LOCAL_LWA_IMAGE, LOCAL_NODE_IMAGE } from '../../docker/settings.ts';
import { knownMigrations } from '../../src/server/db/migrations.ts';
import { freePort, startContainer } from '../parity/container.ts';
import { serviceError } from './support/fake-aws.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const requireAll = process.env.CC_TEST_REQUIRE_ALL === '1';

function registryProblem(): string | undefined {
  const missing = ['docker-registry', 'htpasswd', 'curl'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  return missing.length
    ? `${missing.join(', ')} not installed (bash deploy/test-registry.sh install)`
    : undefined;
}

const problem = engineProblem() ?? registryProblem();
const suite = problem && !requireAll ? describe.skip : describe;
const title = 'the image step against a real registry';

suite(problem && !requireAll ? `${title} — skipped: ${problem}` : title, () => {
  let registryDir = '';
  let dockerConfig = '';
  let host = '';
  let user = '';
  let password = '';
  let docker: Docker;
  let builds = 0;
  /** The first test's build, which the second finds again. */
  let pushed: DeployContext | undefined;
  const repository = `code-canvas-deploy-test-${process.pid}`;
  const cleanup: string[] = [];

  const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');
  /** The local registry's API for the test repository, with the test's login. */
  const registryApi = (path: string, init: RequestInit = {}) =>
    fetch(path.startsWith('http') ? path : `http://${host}/v2/${repository}${path}`, {
      ...init,
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        accept: ACCEPT,
        ...(init.headers as Record<string, string>),
      },
    });
  const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

  async function putBlob(content: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(content);
    const start = await registryApi('/blobs/uploads/', { method: 'POST' });
    expect(start.status).toBe(202);
    const url = new URL(start.headers.get('location') ?? '', `http://${host}`);
    url.searchParams.set('digest', digest);
    const done = await registryApi(url.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(content),
    });
    expect(done.status).toBe(201);
    return { digest, size: content.length };
  }

  async function putManifest(reference: string, mediaType: string, body: string): Promise<string> {
    const res = await registryApi(`/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return res.headers.get('docker-content-digest') ?? '';
  }

  /**
   * Replaces what `tag` names with an OCI image index of it and a provenance attestation — the
   * shape Docker's containerd image store pushes. Returns the index's digest.
   */
  async function wrapInIndex(tag: string): Promise<{ index: string; manifest: string }> {
    const head = await registryApi(`/manifests/${tag}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const manifest = head.headers.get('docker-content-digest') ?? '';
    const manifestType = head.headers.get('content-type') ?? '';
    const manifestSize = Number(head.headers.get('content-length'));
    const config = await putBlob(
      Buffer.from('{"architecture":"unknown","os":"unknown","rootfs":{"type":"layers","diff_ids":[]}}'),
    );
    const statement = await putBlob(
      Buffer.from(`{"_type":"https://in-toto.io/Statement/v0.1","subject":"${manifest}"}`),
    );
    const attestation = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.in-toto+json', ...statement }],
    });
    const attestationDigest = await putManifest(
      sha256(attestation),
      'application/vnd.oci.image.manifest.v1+json',
      attestation,
    );
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: manifestType,
          digest: manifest,
          size: manifestSize,
          platform: { architecture: 'amd64', os: 'linux' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: attestationDigest,
          size: Buffer.byteLength(attestation),
          platform: { architecture: 'unknown', os: 'unknown' },
          annotations: {
            'vnd.docker.reference.digest': manifest,
            'vnd.docker.reference.type': 'attestation-manifest',
          },
        },
      ],
    });
    return { index: await putManifest(tag, 'application/vnd.oci.image.index.v1+json', index), manifest };
  }

  /** What the tag names now: digest and media type. */
  async function tagTarget(tag: string): Promise<{ digest: string; mediaType: string }> {
    const head = await registryApi(`/manifests/${tag}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    return {
      digest: head.headers.get('docker-content-digest') ?? '',
      mediaType: head.headers.get('content-type') ?? '',
    };
  }

  /** An ECR client whose control plane answers for the local registry; docker does the rest for real. */
  function ecrFor(login: { user: string; password: string }): ECRClient {
    const ecr = new ECRClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const mock = mockClient(ecr);
    mock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`${login.user}:${login.password}`).toString('base64'),
          proxyEndpoint: `http://${host}`,
        },
      ],
    });
    mock.on(DescribeImagesCommand).callsFake(async (input: { imageIds: { imageTag: string }[] }) => {
      const tag = input.imageIds[0]?.imageTag ?? '';
      const res = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: {
          authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
          accept: [...MANIFEST_TYPES, 'application/vnd.oci.image.index.v1+json'].join(', '),
        },
      });
      if (res.status === 404) throw serviceError('ImageNotFoundException', `no tag ${tag}`);
      if (!res.ok) throw new Error(`registry HEAD manifest: ${res.status}`);
      return {
        imageDetails: [
          {
            imageDigest: res.headers.get('docker-content-digest') ?? '',
            imageManifestMediaType: res.headers.get('content-type') ?? '',
          },
        ],
      };
    });
    mock.on(BatchGetImageCommand).callsFake(async (input: { imageIds: { imageDigest: string }[] }) => {
      const digest = input.imageIds[0]?.imageDigest ?? '';
      const res = await registryApi(`/manifests/${digest}`);
      if (!res.ok)
        return { images: [], failures: [{ failureCode: 'ImageNotFound', failureReason: `${res.status}` }] };
      return {
        images: [
          {
            imageId: { imageDigest: digest },
            imageManifest: await res.text(),
            imageManifestMediaType: res.headers.get('content-type') ?? '',
          },
        ],
      };
    });
    // ECR removes the tag (and the image, when nothing else names it); distribution deletes by digest.
    mock.on(BatchDeleteImageCommand).callsFake(async (input: { imageIds: { imageTag: string }[] }) => {
      const { digest } = await tagTarget(input.imageIds[0]?.imageTag ?? '');
      const res = await registryApi(`/manifests/${digest}`, { method: 'DELETE' });
      if (res.status !== 202) throw new Error(`registry DELETE manifest: ${res.status}`);
      return { imageIds: input.imageIds, failures: [] };
    });
    mock
      .on(PutImageCommand)
      .callsFake(
        async (input: {
          imageTag: string;
          imageManifest: string;
          imageManifestMediaType: string;
          imageDigest: string;
        }) => {
          const digest = await putManifest(input.imageTag, input.imageManifestMediaType, input.imageManifest);
          if (digest !== input.imageDigest) throw serviceError('ImageDigestDoesNotMatchException', digest);
          return { image: { imageId: { imageDigest: digest, imageTag: input.imageTag } } };
        },
      );
    return ecr;
  }

  function contextFor(commit: string): DeployContext {
    const settings = parseSettings(
      [
        'deploy',
        '--build-arg',
        `NODE_IMAGE=${LOCAL_NODE_IMAGE}`,
        '--build-arg',
        `LWA_IMAGE=${LOCAL_LWA_IMAGE}`,
      ],
      {},
    );
    const identity = {
      account: '123456789012',
      arn: 'arn:aws:iam::123456789012:user/t',
      partition: 'aws',
      region: 'eu-west-1',
    };
    const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      settings,
      identity,
      names: { ...resourceNames(settings, identity), repository },
      clients: { ecr: ecrFor({ user, password }) } as AwsClients,
      docker,
      build: {
        version: '0.0.0-deploy-test',
        commit,
        time,
        dirty: true,
        tag: imageTag(commit, time, 'x86_64', true, settings.buildArgs),
        migrations: knownMigrations(),
      },
      root,
      invokeMode: 'RESPONSE_STREAM',
      dryRun: false,
      timing: DEFAULT_TIMING,
      fetch,
      print: () => {},
      state: { repositoryUri: `${host}/${repository}` },
    };
  }

  const inspect = async (ref: string, format: string) =>
    (
      await runDocker(['image', 'inspect', '--format', format, ref], {
        env: { ...process.env, DOCKER_CONFIG: dockerConfig },
      })
    ).output.trim();

  beforeAll(async () => {
    if (problem) throw new Error(`CC_TEST_REQUIRE_ALL=1 but ${problem}`);
    if (!(imageExists(LOCAL_NODE_IMAGE) && imageExists(LOCAL_LWA_IMAGE))) {
      const res = spawnSync('bash', ['docker/build-local-base.sh'], { cwd: root, stdio: 'inherit' });
      if (res.status !== 0) throw new Error('docker/build-local-base.sh failed (output above)');
    }
    registryDir = await mkdtemp(join(tmpdir(), 'cc-registry-'));
    dockerConfig = await mkdtemp(join(tmpdir(), 'cc-docker-config-'));
    const port = await freePort();
    const started = spawnSync('bash', ['deploy/test-registry.sh', 'start'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CC_REGISTRY_DIR: registryDir, CC_REGISTRY_PORT: String(port) },
    });
    if (started.status !== 0) throw new Error(`deploy/test-registry.sh start failed:\n${started.stderr}`);
    const settings = Object.fromEntries(
      started.stdout
        .trim()
        .split(/\s+/)
        .map((kv) => kv.split('=', 2) as [string, string]),
    );
    host = settings.CC_TEST_REGISTRY ?? '';
    user = settings.CC_TEST_REGISTRY_USER ?? '';
    password = settings.CC_TEST_REGISTRY_PASSWORD ?? '';
    // A scratch DOCKER_CONFIG keeps the test's registry login out of the machine's own config.
    const real = cliDocker({ env: { ...process.env, DOCKER_CONFIG: dockerConfig } });
    docker = {
      ...real,
      build: async (request) => {
        builds++;
        cleanup.push(request.tag);
        return real.build(request);
      },
    };
  }, 900_000);

  afterAll(async () => {
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    // --no-prune keeps the untagged parents: they are the build cache the parity build reuses.
    if (cleanup.length) await runDocker(['rmi', '--force', '--no-prune', ...cleanup], { env });
    if (registryDir) {
      spawnSync('bash', ['deploy/test-registry.sh', 'stop'], {
        cwd: root,
        env: { ...process.env, CC_REGISTRY_DIR: registryDir },
      });
    }
    await rm(dockerConfig, { recursive: true, force: true });
  });

  it('builds one platform, pushes it, and the pushed digest pulls back as the same runnable image', async () => {
    const commit = `deploy-test-${Date.now().toString(36)}`;
    const ctx = contextFor(commit);
    const result = await ensureImage(ctx);
    expect(result.outcome).toBe('created');
    pushed = ctx;
    const imageUri = ctx.state.imageUri ?? '';
    expect(imageUri).toMatch(new RegExp(`^${host}/${repository}@sha256:[0-9a-f]{64}$`));
    const localRef = `${repository}:${ctx.build.tag}`;
    const builtId = await inspect(localRef, '{{.Id}}');
    cleanup.push(`${host}/${repository}:${ctx.build.tag}`);

    // One platform's manifest, not an index: what Lambda accepts.
    const head = await fetch(`http://${host}/v2/${repository}/manifests/${imageUri.split('@')[1]}`, {
      method: 'HEAD',
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        accept: [...MANIFEST_TYPES, 'application/vnd.oci.image.index.v1+json'].join(', '),
      },
    });
    expect(head.status).toBe(200);
    expect(MANIFEST_TYPES).toContain(head.headers.get('content-type'));

    // Forget the local copies, then pull by digest with the login the push made.
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    await runDocker(['rmi', '--no-prune', localRef, `${host}/${repository}:${ctx.build.tag}`], { env });
    expect((await runDocker(['image', 'inspect', localRef], { env })).code).not.toBe(0);
    const pulled = await runDocker(['pull', imageUri], { env });
    expect(pulled.code, pulled.output).toBe(0);
    cleanup.push(imageUri);
    expect(await inspect(imageUri, '{{.Id}}')).toBe(builtId);
    expect(await inspect(imageUri, '{{.Os}}/{{.Architecture}}')).toBe('linux/amd64');

    const container = await startContainer(imageUri);
    try {
      const version = (await (await fetch(`${container.url}/version`)).json()) as Record<string, unknown>;
      expect(version).toMatchObject({ version: '0.0.0-deploy-test', commit });
    } finally {
      container.kill();
    }
  });

  it('finds the pushed tag on a second run and builds nothing', async () => {
    expect(pushed, 'the first test pushed an image').toBeDefined();
    const first = pushed as DeployContext;
    const before = builds;
    const again = { ...contextFor(first.build.commit), build: first.build };
    const result = await ensureImage(again);
    expect(result.outcome).toBe('unchanged');
    expect(builds).toBe(before);
    expect(again.state.imageUri).toBe(first.state.imageUri);
  });

  it('stops with one line naming the registry when it refuses the credentials', async () => {
    const refusing = ecrRegistry(
      ecrFor({ user, password: 'wrong-password' }),
      repository,
      `${host}/${repository}`,
    );
    const failure = await pushImage(docker, refusing, LOCAL_LWA_IMAGE, 'never-pushed', 'linux/amd64').catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as DeployError).message).toMatch(
      new RegExp(`^docker: login to ${host} failed: .*unauthorized`, 'i'),
    );
    expect((failure as DeployError).fix).toMatch(/credentials/);
  });

  it('replaces an image index left under the tag by an earlier run with its platform manifest, and the re-run finds it', async () => {
    const tag = `index-left-${Date.now().toString(36)}`;
    const ctx = contextFor('index-left');
    ctx.build = { ...ctx.build, tag };
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    // What an earlier release pushed and refused, under an immutable tag: an index.
    const login = await ecrRegistry(ecrFor({ user, password }), repository, `${host}/${repository}`).login();
    await docker.login(login.server, login.username, login.password);
    await runDocker(['tag', LOCAL_LWA_IMAGE, `${host}/${repository}:${tag}`], { env });
    cleanup.push(`${host}/${repository}:${tag}`);
    await docker.push(`${host}/${repository}:${tag}`);
    const { index, manifest } = await wrapInIndex(tag);
    expect((await tagTarget(tag)).mediaType).toBe('application/vnd.oci.image.index.v1+json');

    const before = builds;
    const dry = await ensureImage({ ...contextFor('index-left'), build: ctx.build, dryRun: true });
    expect(dry).toMatchObject({ outcome: 'would update' });
    expect((await tagTarget(tag)).digest).toBe(index);

    const result = await ensureImage(ctx);
    expect(result.outcome).toBe('updated');
    expect(result.detail).toMatch(/^the tag named an image index: now its linux\/amd64 manifest, sha256:/);
    expect(ctx.state.imageUri).toBe(`${host}/${repository}@${manifest}`);
    expect(await tagTarget(tag)).toEqual({ digest: manifest, mediaType: expect.stringMatching(/manifest/) });
    expect(MANIFEST_TYPES).toContain((await tagTarget(tag)).mediaType);
    expect((await registryApi(`/manifests/${index}`, { method: 'HEAD' })).status).toBe(404);
    expect(builds).toBe(before);

    const again = { ...contextFor('index-left'), build: ctx.build };
    expect((await ensureImage(again)).outcome).toBe('unchanged');
    expect(again.state.imageUri).toBe(ctx.state.imageUri);
  });

  it('leaves the tag on the platform manifest when the push itself made an index (the containerd image store)', async () => {
    const tag = `containerd-${Date.now().toString(36)}`;
    const registry = ecrRegistry(ecrFor({ user, password }), repository, `${host}/${repository}`);
    let pushedIndex = '';
    // Docker with the containerd image store: the push uploads an index and prints its digest.
    const containerdDocker: Docker = {
      ...docker,
      push: async (ref) => {
        await docker.push(ref);
        pushedIndex = (await wrapInIndex(ref.slice(ref.lastIndexOf(':') + 1))).index;
        return pushedIndex;
      },
    };
    cleanup.push(`${host}/${repository}:${tag}`);
    const pushed = await pushImage(containerdDocker, registry, LOCAL_LWA_IMAGE, tag, 'linux/amd64');
    expect(pushedIndex).toMatch(/^sha256:/);
    expect(pushed.digest).not.toBe(pushedIndex);
    expect(await tagTarget(tag)).toEqual({ digest: pushed.digest, mediaType: expect.any(String) });
    expect(MANIFEST_TYPES).toContain((await tagTarget(tag)).mediaType);
    expect(pushed.uri).toBe(`${host}/${repository}@${pushed.digest}`);

    // Built for another platform, the index is refused with a line saying why.
    const other = `containerd-arm-${Date.now().toString(36)}`;
    cleanup.push(`${host}/${repository}:${other}`);
    const failure = await pushImage(containerdDocker, registry, LOCAL_LWA_IMAGE, other, 'linux/arm64').catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as DeployError).message).toBe(
      `image ${host}/${repository}:${other} is an image index with no linux/arm64 manifest (it holds: linux/amd64)`,
    );
  });
});
