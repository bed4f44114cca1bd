import { writeFileSync } from 'node:fs';
import type {
  DownloadResult,
  ObjectInfo,
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
  readonly location = 'memory://test';
  readonly versions: { body: Buffer; info: VersionInfo }[] = [];
  puts = 0;
  downloads = 0;
  conditionalDownloads = 0;
  /** Called at the start of every put; may throw or wait. */
  beforePut: () => Promise<void> | void = () => {};
  beforeDownload: () => Promise<void> | void = () => {};
  private seq = 0;

  get current(): { body: Buffer; info: VersionInfo } | undefined {
    return this.versions.at(-1);
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
      throw new StoreError('precondition_failed', 'memory: put: object exists');
    this.puts++;
    return this.putUnconditionally(Buffer.from(bytes));
  }

  /** Puts without any condition or fault (a test's own "another instance wrote" move). */
  putUnconditionally(body: Buffer): VersionInfo {
    this.seq++;
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
}
