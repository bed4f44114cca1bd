/**
 * A board to measure: a fresh account on a running server, filled through the JSON API with tasks
 * that look like real ones (a title, a two-line description, every status, priority and a due date
 * from a few days ago to a month ahead, so some are overdue and some due today).
 */
import { ApiClient } from '../tests/support/server.ts';

export interface SeededBoard {
  email: string;
  /** The session cookie (`cc_session=…`). */
  cookie: string;
  tasks: number;
  /** The board's page: the account's personal workspace (`/` only redirects there). */
  path: string;
}

const STATUSES = ['todo', 'doing', 'done'];
const PRIORITIES = ['low', 'normal', 'high'];

/** Signs up `email` and creates `count` tasks, 50 requests at a time. */
export async function seedBoard(base: string, email: string, count: number): Promise<SeededBoard> {
  const api = new ApiClient(base);
  const user = await api.signUp(email, 'bench password');
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
        const n = i + j;
        const res = await api.post('/api/tasks', {
          title: `Task ${n}: ${'lorem ipsum '.repeat(3).trim()}`,
          description: 'Some description\nwith two lines',
          status: STATUSES[n % 3],
          priority: PRIORITIES[n % 3],
          dueDate: new Date(Date.now() + ((n % 30) - 3) * 86_400_000).toISOString().slice(0, 10),
        });
        if (res.status !== 201)
          throw new Error(`seeding task ${n}: ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
  }
  return { email, cookie: api.cookie, tasks: count, path: `/w/${user.personalWorkspaceId}/` };
}
