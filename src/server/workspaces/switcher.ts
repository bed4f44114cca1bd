import type { User } from '../auth/users.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { listMyInvitations } from './invitations.ts';
import { listMyWorkspaces, type MyWorkspace } from './workspaces.ts';

/**
 * What every page's header shows of the directory besides the user: their workspaces (the
 * switcher) and how many invitations wait for them. One function for the layout and for the page
 * cache's check (http/rendered-pages.ts), so a kept page is compared on exactly what it showed.
 */
export function readSwitcher(
  db: Db,
  user: Pick<User, 'id' | 'email'>,
): { workspaces: MyWorkspace[]; invitations: number } {
  return { workspaces: listMyWorkspaces(db, user.id), invitations: listMyInvitations(db, user.email).length };
}
