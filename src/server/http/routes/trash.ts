import { getProject } from '../../tasks/projects.ts';
import { getTask } from '../../tasks/tasks.ts';
import { listTrash, restoreTrash } from '../../tasks/trash.ts';
import { parseId } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute } from '../api.ts';
import { writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/**
 * Undo for deletes through the API, under `/api/trash` and `/api/workspaces/{wid}/trash`: what was
 * deleted in the last CC_UNDO_SECONDS, and putting one back exactly (src/server/tasks/trash.ts).
 */

/** GET → {trash: [{id, kind, itemId, title, deletedAt, expiresAt}]}, newest first. */
export const listTrashRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const undoSeconds = ctx.locals.rt.config.undoSeconds;
  return json({ trash: ws.replica.read((db) => listTrash(db, undoSeconds)) });
});

/** POST → 200 {task} or {project} as restored; 404 once restored or past the window. */
export const restoreTrashRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const undoSeconds = ctx.locals.rt.config.undoSeconds;
  return writeOnce(ctx, ws.replica, (db) => {
    const restored = restoreTrash(db, id, undoSeconds);
    const body =
      restored.kind === 'task'
        ? { task: getTask(db, restored.taskId) }
        : { project: getProject(db, restored.projectId) };
    return { status: 200, body };
  });
});
