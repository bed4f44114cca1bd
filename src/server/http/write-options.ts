import type { Runtime } from '../runtime.ts';
import type { WorkspaceQuota } from '../tasks/quota.ts';

/**
 * What every task write in the app is told from the settings: the workspace's limits and how long
 * a delete can be undone (older trash is purged by the write). One place, so no route or action
 * forgets either.
 */
export function writeOptions(rt: Runtime): { quota: WorkspaceQuota; undoSeconds: number } {
  return { quota: rt.config.quota, undoSeconds: rt.config.undoSeconds };
}
