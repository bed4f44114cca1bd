import type { StoreConfig } from '../config.ts';
import { LocalBucket } from './local-store.ts';
import { S3Bucket } from './s3-store.ts';
import type { Bucket } from './store.ts';

/** The bucket the settings describe: S3 when CC_S3_BUCKET is set, else the local directory. */
export function openBucket(store: StoreConfig): Bucket {
  if (store.kind === 's3') {
    const { kind: _, key: __, ...opts } = store;
    return new S3Bucket(opts);
  }
  return new LocalBucket({ dir: store.dir, keepVersions: store.keepVersions });
}
