/**
 * What a task card shows, worked out in plain TypeScript (TaskCards.astro only lays it out): the
 * title and a plain-text preview of the description split around the search match, labels, checklist progress, the tags with their classes, the link to
 * the task's page and the move buttons.
 */
import { markdownPreview } from '../server/markdown/render.ts';
import type { Task } from '../server/tasks/tasks.ts';
import { PRIORITY_LABEL, STATUS_LABEL, STATUSES } from '../server/tasks/validation.ts';
import { formatDueDate, type UserClock } from './dates.ts';
import { markMatches, type Segment } from './highlight.ts';
import { cardId, type Paths } from './urls.ts';

export interface CardView {
  id: string;
  className: string;
  href: string;
  title: Segment[];
  description: Segment[];
  status: { className: string; label: string } | undefined;
  overdue: boolean;
  due: { className: string; label: string; iso: string; text: string } | undefined;
  priority: { className: string; label: string } | undefined;
  project: string;
  /** Its labels: the name is the text, the colour a class (`label--red`) that only decorates. */
  labels: { name: string; className: string }[];
  /** Checklist progress ("2/5"), absent when the task has no checklist. */
  checklist: { text: string; label: string; complete: boolean } | undefined;
  /** One per other status: `move=ID:STATUS`, its visible text and its full name. */
  moves: { value: string; text: string; label: string }[];
}

export interface CardOptions {
  clock: UserClock;
  /** The pages of the workspace the card is in. */
  paths: Paths;
  returnTo: string;
  q?: string | undefined;
  showStatus?: boolean;
  highlightId?: number | undefined;
}

/** The card for `task`: highlighted when it is `highlightId`, its search match marked. */
export function toCardView(task: Task, opts: CardOptions): CardView {
  const classes = ['card', `card--${task.priority}`];
  if (task.overdue) classes.push('card--overdue');
  if (task.status === 'done') classes.push('card--done');
  if (task.id === opts.highlightId) classes.push('card--highlight');
  return {
    id: cardId(task.id),
    className: classes.join(' '),
    href: opts.paths.task(task.id, opts.returnTo),
    title: markMatches(task.title, opts.q),
    // The description is Markdown: the card shows its words, not its marks (the task page renders it).
    description: task.description ? markMatches(markdownPreview(task.description), opts.q) : [],
    status: opts.showStatus
      ? { className: `tag tag--${task.status}`, label: STATUS_LABEL[task.status] }
      : undefined,
    overdue: task.overdue,
    due: task.dueDate
      ? {
          className: task.dueToday ? 'tag tag--due tag--today' : 'tag tag--due',
          label: task.dueToday ? 'Due today' : 'Due',
          iso: task.dueDate,
          text: formatDueDate(task.dueDate, opts.clock),
        }
      : undefined,
    priority:
      task.priority === 'normal'
        ? undefined
        : {
            className: `tag tag--priority-${task.priority}`,
            label: `${PRIORITY_LABEL[task.priority]} priority`,
          },
    project: task.projectName,
    labels: task.labels.map((l) => ({ name: l.name, className: `tag tag--label label--${l.color}` })),
    checklist:
      task.checklist.total > 0
        ? {
            text: `${task.checklist.done}/${task.checklist.total}`,
            label: `Checklist: ${task.checklist.done} of ${task.checklist.total} done`,
            complete: task.checklist.done === task.checklist.total,
          }
        : undefined,
    moves: STATUSES.filter((s) => s !== task.status).map((s) => ({
      value: `${task.id}:${s}`,
      text: STATUS_LABEL[s],
      label: `Move “${task.title}” to ${STATUS_LABEL[s]}`,
    })),
  };
}
