import type { StoreConfig } from '../config.ts';
import { LocalSnapshotStore } from './local-store.ts';
import { S3SnapshotStore } from './s3-store.ts';
import type { SnapshotStore } from './store.ts';

/** The store the settings describe: the S3 bucket when CC_S3_BUCKET is set, else the local directory. */
export function openStore(store: StoreConfig): SnapshotStore {
  return store.kind === 's3' ? new S3SnapshotStore(store) : new LocalSnapshotStore(store);
}
