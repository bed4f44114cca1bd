/** Deleting a versioned bucket: every object version and delete marker first, then the bucket. */
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import { call, DeployError } from '../errors.ts';

export async function emptyAndDeleteBucket(s3: S3Client, Bucket: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    // Always list from the start: what was listed before has just been deleted.
    const page = await call('s3: list object versions in', Bucket, () =>
      s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1000 })),
    );
    const Objects: ObjectIdentifier[] = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(
      (v) => ({
        Key: v.Key,
        VersionId: v.VersionId,
      }),
    );
    if (Objects.length === 0) break;
    const out = await call('s3: delete object versions in', Bucket, () =>
      s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } })),
    );
    if (out.Errors?.length) {
      const first = out.Errors[0];
      throw new DeployError(
        `s3: delete ${first?.Key} (${first?.VersionId}) in ${Bucket}: ${first?.Message}`,
        {
          fix: 'check s3:DeleteObjectVersion on the bucket and re-run',
        },
      );
    }
    deleted += Objects.length;
  }
  await call('s3: delete bucket', Bucket, () => s3.send(new DeleteBucketCommand({ Bucket })));
  return deleted;
}
