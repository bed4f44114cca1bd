import type { Replica } from '../persistence/replica.ts';
import { workspaceNotFound } from './service.ts';
import type { MyWorkspace } from './workspaces.ts';

/** The workspace a request works in: the user's view of it, and its database when the route uses it. */
export interface WorkspaceContext extends MyWorkspace {
  /** The workspace object's replica (null for routes that need only the directory, e.g. members). */
  replica: Replica | null;
}

/** Where a URL points, as the middleware sees it. */
export type WorkspaceTarget =
  /** `/w/{id}/…` or `/api/workspaces/{id}/…`. */
  | { id: string; needsObject: boolean }
  /** `/api/tasks…`, `/api/projects…`, `/api/labels…`, `/api/trash…`: the signed-in user's personal workspace. */
  | { personal: true; needsObject: true };

const PAGE = /^\/w\/([^/]+)(\/.*)?$/;
const API = /^\/api\/workspaces\/([^/]+)(\/.*)?$/;
/** Pages under a workspace that show only directory data. */
const DIRECTORY_PAGES = /^\/(members|settings|delete)$/;

/** The workspace `path` (without a trailing slash) works in, or null for everything else. */
export function workspaceTarget(path: string): WorkspaceTarget | null {
  const page = PAGE.exec(path);
  if (page) return { id: page[1] as string, needsObject: !DIRECTORY_PAGES.test(page[2] ?? '') };
  const api = API.exec(path);
  if (api)
    return { id: api[1] as string, needsObject: /^\/(tasks|projects|labels|trash)(\/|$)/.test(api[2] ?? '') };
  if (/^\/api\/(tasks|projects|labels|trash)(\/|$)/.test(path)) return { personal: true, needsObject: true };
  return null;
}

/** The request's workspace with its database, or AppError('not_found') (the middleware resolved neither). */
export function requireWorkspaceDb(locals: App.Locals): WorkspaceContext & { replica: Replica } {
  const ws = locals.workspace;
  if (!ws?.replica) throw workspaceNotFound();
  return ws as WorkspaceContext & { replica: Replica };
}

/** The request's workspace (directory data only), or AppError('not_found'). */
export function requireWorkspace(locals: App.Locals): WorkspaceContext {
  if (!locals.workspace) throw workspaceNotFound();
  return locals.workspace;
}
