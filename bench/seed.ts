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

/**
 * Signs up `email` and creates `count` tasks, 50 requests at a time: each with one of three labels,
 * and every fifth with a checklist of two items, one done (so cards carry what real ones do).
 */
export async function seedBoard(base: string, email: string, count: number): Promise<SeededBoard> {
  const api = new ApiClient(base);
  const user = await api.signUp(email, 'bench password');
  const labels: number[] = [];
  for (const [name, color] of [
    ['Home', 'green'],
    ['Work', 'blue'],
    ['Urgent', 'red'],
  ]) {
    const res = await api.post('/api/labels', { name, color });
    if (res.status !== 201)
      throw new Error(`seeding label ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    labels.push(res.body.id);
  }
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
          labels: [labels[n % 3]],
        });
        if (res.status !== 201)
          throw new Error(`seeding task ${n}: ${res.status} ${JSON.stringify(res.body)}`);
        if (n % 5 === 0) {
          for (const item of [{ text: 'First step', done: true }, { text: 'Second step' }]) {
            const added = await api.post(`/api/tasks/${res.body.id}/checklist`, item);
            if (added.status !== 201) throw new Error(`seeding a checklist: ${added.status}`);
          }
        }
      }),
    );
  }
  return { email, cookie: api.cookie, tasks: count, path: `/w/${user.personalWorkspaceId}/` };
}
