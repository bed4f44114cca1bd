import { apiRoute, readBody, userIdOf } from '../../../server/http/api.ts';
import { json } from '../../../server/http/respond.ts';
import { createTask, listTasks } from '../../../server/tasks/tasks.ts';
import { parseTaskFilter, parseTaskInput } from '../../../server/tasks/validation.ts';

/** GET ?q=&status=&priority=&project=&sort= → {tasks}. */
export const GET = apiRoute((ctx) => {
  const userId = userIdOf(ctx);
  const filter = parseTaskFilter(ctx.url.searchParams);
  return json({ tasks: ctx.locals.rt.engine.read((db) => listTasks(db, userId, filter)) });
});

/** POST {title, description?, status?, priority?, dueDate?, projectId?} → 201 with the task. */
export const POST = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const input = parseTaskInput(await readBody(ctx), { partial: false });
  const task = await ctx.locals.rt.engine.write((db) => createTask(db, userId, input));
  return json(task, 201, { Location: `/api/tasks/${task.id}` });
});
