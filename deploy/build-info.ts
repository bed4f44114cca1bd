/**
 * What the image is built from: package version, git commit and time, and the image tag made of
 * them. A clean checkout uses the commit's own time, so the same commit gives the same tag and a
 * re-run finds the image already pushed instead of building it again; a dirty tree always builds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkoutMigrations, type KnownMigrations } from './migrations.ts';
import type { Architecture } from './settings.ts';

const exec = promisify(execFile);

export interface BuildInfo {
  /** package.json version → CC_BUILD_VERSION. */
  version: string;
  /** Full commit hash, or `unknown` outside git → CC_BUILD_COMMIT. */
  commit: string;
  /** ISO 8601 UTC → CC_BUILD_TIME. */
  time: string;
  /** Uncommitted changes were present. */
  dirty: boolean;
  /** Image tag: `<commit12>-<time>-<arch>[-dirty][-<args hash>]`. */
  tag: string;
  /** The database migrations this build knows, recorded in the version it publishes. */
  migrations: KnownMigrations;
}

async function git(root: string, ...args: string[]): Promise<string | undefined> {
  try {
    return (await exec('git', args, { cwd: root })).stdout.trim();
  } catch {
    return undefined;
  }
}

/** Reads the build facts of the checkout at `root`. */
export async function readBuildInfo(
  root: string,
  architecture: Architecture,
  buildArgs: Record<string, string>,
  now: Date = new Date(),
): Promise<BuildInfo> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version?: string };
  const commit = (await git(root, 'rev-parse', 'HEAD')) ?? 'unknown';
  const status = commit === 'unknown' ? undefined : await git(root, 'status', '--porcelain');
  const dirty = status === undefined || status !== '';
  const committed = dirty ? undefined : await git(root, 'log', '-1', '--format=%cI');
  const time = new Date(committed ?? now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: pkg.version ?? '0.0.0',
    commit,
    time,
    dirty,
    tag: imageTag(commit, time, architecture, dirty, buildArgs),
    migrations: checkoutMigrations(),
  };
}

/** The tag for these facts; extra build arguments change the image, so they change the tag. */
export function imageTag(
  commit: string,
  time: string,
  architecture: Architecture,
  dirty: boolean,
  buildArgs: Record<string, string>,
): string {
  const parts = [commit.slice(0, 12), time.replace(/[-:]/g, ''), architecture];
  if (dirty) parts.push('dirty');
  const keys = Object.keys(buildArgs).sort();
  if (keys.length > 0) {
    const hash = createHash('sha256').update(JSON.stringify(keys.map((k) => [k, buildArgs[k]])));
    parts.push(hash.digest('hex').slice(0, 8));
  }
  return parts.join('-');
}
