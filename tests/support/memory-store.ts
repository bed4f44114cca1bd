import { writeFileSync } from 'node:fs';
import type {
  Bucket,
  DownloadResult,
  ObjectInfo,
  ObjectSummary,
  PutBody,
  PutCondition,
  SnapshotStore,
  VersionInfo,
} from '../../src/server/persistence/store.ts';
import { bodyBytes, StoreError } from '../../src/server/persistence/store.ts';

/**
 * An in-memory SnapshotStore for fast unit tests of the engine, with knobs to inject faults and
 * delays. The real adapters (local directory, S3) are covered by the contract suite and the
 * integration tests; this one only has to honour the same conditions.
 */
export class MemoryStore implements SnapshotStore {
  readonly location: string;
  readonly versions: { body: Buffer; info: VersionInfo }[] = [];
  /** Set by remove(); the next put clears it. */
  deleted = false;
  puts = 0;
  downloads = 0;
  conditionalDownloads = 0;
  /** Called at the start of every put; may throw or wait. */
  beforePut: () => Promise<void> | void = () => {};
  beforeDownload: () => Promise<void> | void = () => {};
  private seq = 0;

  constructor(location = 'memory://test') {
    this.location = location;
  }

  get current(): { body: Buffer; info: VersionInfo } | undefined {
    return this.deleted ? undefined : this.versions.at(-1);
  }

  async download(
    destPath: string,
    opts: { ifNoneMatch?: string; versionId?: string } = {},
  ): Promise<DownloadResult> {
    await this.beforeDownload();
    const v = opts.versionId ? this.versions.find((x) => x.info.versionId === opts.versionId) : this.current;
    if (opts.ifNoneMatch !== undefined) this.conditionalDownloads++;
    if (!v) {
      if (opts.versionId) throw new StoreError('not_found', `memory: no version ${opts.versionId}`);
      return { status: 'absent' };
    }
    if (opts.ifNoneMatch !== undefined && opts.ifNoneMatch === v.info.etag) return { status: 'not-modified' };
    this.downloads++;
    writeFileSync(destPath, v.body);
    const { etag, versionId, size, lastModified } = v.info;
    return { status: 'ok', etag, versionId, size, lastModified };
  }

  async head(): Promise<ObjectInfo | null> {
    return this.current?.info ?? null;
  }

  async put(body: PutBody, condition: PutCondition): Promise<ObjectInfo> {
    await this.beforePut();
    // Read as S3 would: while the put is in flight, after any delay beforePut adds.
    const bytes = await bodyBytes(body);
    const cur = this.current;
    if ('ifMatch' in condition && cur?.info.etag !== condition.ifMatch) {
      throw new StoreError('precondition_failed', 'memory: put: precondition failed');
    }
    if ('ifNoneMatch' in condition && cur)
      throw new StoreError('precondition_failed', 'memory: put: precondition failed (an object exists)');
    this.puts++;
    return this.putUnconditionally(Buffer.from(bytes));
  }

  /** Puts without any condition or fault (a test's own "another instance wrote" move). */
  putUnconditionally(body: Buffer): VersionInfo {
    this.seq++;
    this.deleted = false;
    for (const v of this.versions) v.info.isLatest = false;
    const info: VersionInfo = {
      etag: `"m${this.seq}"`,
      versionId: String(this.seq),
      size: body.length,
      lastModified: new Date(),
      isLatest: true,
    };
    this.versions.push({ body, info });
    return info;
  }

  async listVersions(): Promise<VersionInfo[]> {
    return [...this.versions].reverse().map((v) => v.info);
  }

  /** Like a delete marker: the versions stay, the key has no current object. */
  async remove(): Promise<void> {
    this.deleted = true;
  }
}

/** A bucket of MemoryStores, one per key (created on first use). */
export class MemoryBucket implements Bucket {
  readonly location = 'memory://bucket';
  readonly stores = new Map<string, MemoryStore>();

  object(key: string): MemoryStore {
    let store = this.stores.get(key);
    if (!store) {
      store = new MemoryStore(`memory://bucket/${key}`);
      this.stores.set(key, store);
    }
    return store;
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    return [...this.stores.entries()]
      .filter(([key, s]) => key.startsWith(prefix) && s.current)
      .map(([key, s]) => {
        const info = s.current?.info as VersionInfo;
        return {
          key,
          etag: info.etag,
          size: info.size,
          lastModified: info.lastModified,
          versions: s.versions.length,
        };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
}
