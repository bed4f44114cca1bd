/**
 * A Docker stand-in for the control-plane tests: records builds, logins, tags and pushes, and makes
 * a push land in the fake account's repository. The real Docker path is tested in image-push.test.ts.
 */
import type { BuildRequest, Docker } from '../../../deploy/docker.ts';
import { DeployError } from '../../../deploy/errors.ts';
import type { FakeAccount } from './fake-aws.ts';
import { ECR_PASSWORD, pushToFakeRepository } from './fake-iam-ecr.ts';

export class FakeDocker implements Docker {
  readonly builds: BuildRequest[] = [];
  readonly pushes: string[] = [];
  readonly logins: { server: string; username: string }[] = [];
  /** When set, the engine does not answer. */
  down = false;
  /** When set, the next build fails with this message. */
  failBuild: string | undefined;
  private readonly images = new Map<string, { platform: string; commit: string }>();
  private readonly fake: FakeAccount;

  constructor(fake: FakeAccount) {
    this.fake = fake;
  }

  async version() {
    if (this.down) {
      throw new DeployError('docker: the engine does not answer (Cannot connect to the Docker daemon)', {
        fix: 'start Docker (Docker Desktop, or `sudo systemctl start docker`), then re-run',
      });
    }
    return { client: '28.2.2', server: '28.2.2', buildx: true };
  }

  async build(request: BuildRequest) {
    await this.version();
    this.builds.push(structuredClone(request));
    if (this.failBuild) {
      const message = this.failBuild;
      this.failBuild = undefined;
      throw new DeployError(
        `docker: build of ${request.dockerfile} for ${request.platform} failed: ${message}`,
        {
          fix: 'fix the error shown above (--verbose shows the whole build), then re-run',
        },
      );
    }
    this.images.set(request.tag, {
      platform: request.platform,
      commit: request.buildArgs.CC_BUILD_COMMIT ?? '',
    });
  }

  async platformOf(ref: string) {
    const image = this.images.get(ref);
    if (!image) throw new DeployError(`docker: inspect ${ref}: No such image`);
    return image.platform;
  }

  async login(server: string, username: string, password: string) {
    if (password !== ECR_PASSWORD) throw new DeployError(`docker: login to ${server} failed: unauthorized`);
    this.logins.push({ server, username });
  }

  async tag(source: string, target: string) {
    const image = this.images.get(source);
    if (!image) throw new DeployError(`docker: tag ${source}: No such image`);
    this.images.set(target, image);
  }

  async push(ref: string) {
    const image = this.images.get(ref);
    if (!image) throw new DeployError(`docker: push ${ref}: No such image`);
    this.pushes.push(ref);
    const at = ref.lastIndexOf(':');
    return pushToFakeRepository(this.fake, ref.slice(0, at), ref.slice(at + 1), image.commit);
  }
}
