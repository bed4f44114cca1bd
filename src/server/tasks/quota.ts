import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { emptyTrash } from './trash.ts';

/**
 * Per-workspace limits, so that one account cannot grow an object that every write then re-uploads
 * whole (each acknowledged write uploads its workspace's entire file). Checked inside the write's
 * transaction, on the copy being written, so concurrent writers cannot overshoot together.
 * Deleting is always allowed: it is how a full workspace gets room again (a full workspace's next
 * write empties its trash, so Undo of those deletions is no longer offered).
 */
export interface WorkspaceQuota {
  tasks: number;
  projects: number;
  bytes: number;
}

/** Throws AppError('quota_exceeded') if adding one more `what` (or growing at all, past the byte limit) is over quota. */
export function assertQuota(db: Db, quota: WorkspaceQuota, what: 'task' | 'project' | 'change'): void {
  let bytes = databaseBytes(db);
  // Deleted items wait in the trash for their undo window (trash.ts). A full workspace gives up
  // that undo to make room: deleting must free space now, as the message below promises. Inside
  // the write's transaction, so if the room is still not enough the purge is rolled back with it.
  if (bytes >= quota.bytes && emptyTrash(db) > 0) bytes = databaseBytes(db);
  if (bytes >= quota.bytes) {
    throw new AppError(
      'quota_exceeded',
      `This workspace is full (${mb(bytes)} of ${mb(quota.bytes)}). Delete some tasks or projects to make room.`,
    );
  }
  if (what === 'task') {
    const n = (db.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n;
    if (n >= quota.tasks) {
      throw new AppError(
        'quota_exceeded',
        `This workspace has reached its limit of ${quota.tasks.toLocaleString('en')} tasks. Delete some to add more.`,
      );
    }
  }
  if (what === 'project') {
    const n = (db.prepare('SELECT count(*) AS n FROM projects').get() as { n: number }).n;
    if (n >= quota.projects) {
      throw new AppError(
        'quota_exceeded',
        `This workspace has reached its limit of ${quota.projects.toLocaleString('en')} projects. Delete some to add more.`,
        { field: 'name' },
      );
    }
  }
}

/** The database's size in bytes, pages in use only (free pages are reused before the file grows). */
export function databaseBytes(db: Db): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  return (pages - free) * size;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
