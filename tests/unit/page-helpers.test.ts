import { describe, expect, it } from 'vitest';
import { boardStatuses, MAX_SHOWN, shownFor } from '../../src/lib/board-view.ts';
import { toCardView } from '../../src/lib/card-view.ts';
import {
  dayIn,
  formatDueDate,
  formatInstant,
  pickLocale,
  readUserClock,
  utcOffsetOf,
} from '../../src/lib/dates.ts';
import { markMatches } from '../../src/lib/highlight.ts';
import { pageFor } from '../../src/lib/list-view.ts';
import {
  filterQuery,
  getReturnPath,
  pageHref,
  pathsIn,
  showMoreHref,
  withBack,
  withNotice,
} from '../../src/lib/urls.ts';

describe("the user's clock", () => {
  // 23:30 UTC on 1 March is already 2 March in Tokyo and still 1 March in New York.
  const late = new Date('2026-03-01T23:30:00Z');

  it('takes the calendar day from the browser time zone, not UTC', () => {
    expect(readUserClock('Asia/Tokyo', null, 'UTC', late)).toMatchObject({
      timeZone: 'Asia/Tokyo',
      today: '2026-03-02',
      fromBrowser: true,
    });
    expect(readUserClock('America/New_York', null, 'UTC', late).today).toBe('2026-03-01');
  });

  it('falls back to the server default for a missing or unknown zone, without failing', () => {
    for (const cookie of [undefined, '', 'Mars/Olympus_Mons', 'x'.repeat(300), 'Europe/Paris<script>']) {
      expect(readUserClock(cookie, null, 'Asia/Tokyo', late)).toMatchObject({
        timeZone: 'Asia/Tokyo',
        today: '2026-03-02',
        fromBrowser: false,
      });
    }
  });

  it('formats dates in the first language the browser names that it can', () => {
    expect(pickLocale('de-DE,de;q=0.9,en;q=0.8')).toBe('de-DE');
    expect(pickLocale('xx-Nope;q=0.9, fr;q=0.5')).toBe('fr');
    expect(pickLocale(null)).toBe('en-GB');
    expect(pickLocale('*')).toBe('en-GB');
    const us = readUserClock('UTC', 'en-US', 'UTC', late);
    const gb = readUserClock('UTC', 'en-GB', 'UTC', late);
    expect(formatDueDate('2026-03-02', us)).toBe('Mon, Mar 2');
    expect(formatDueDate('2026-03-02', gb)).toBe('Mon 2 Mar');
    expect(formatDueDate('2027-03-02', gb)).toBe('2 Mar 2027');
  });

  it('gives the zone offset the way the browser counts it, so the page script can compare', () => {
    expect(utcOffsetOf('UTC', late)).toBe(0);
    expect(utcOffsetOf('Asia/Tokyo', late)).toBe(-540);
    expect(utcOffsetOf('Asia/Kolkata', late)).toBe(-330);
    expect(utcOffsetOf('America/New_York', new Date('2026-01-15T12:00:00Z'))).toBe(300);
    expect(utcOffsetOf('America/New_York', new Date('2026-07-15T12:00:00Z'))).toBe(240);
    expect(readUserClock('Asia/Tokyo', null, 'UTC', late).utcOffset).toBe(-540);
  });

  it('shows instants in the user time zone', () => {
    const tokyo = readUserClock('Asia/Tokyo', 'en-GB', 'UTC', late);
    expect(formatInstant('2026-03-01T23:30:00Z', tokyo)).toMatch(/^2 Mar 2026, 08:30 GMT\+9$/);
    expect(dayIn('UTC', late)).toBe('2026-03-01');
  });
});

describe('marking search matches', () => {
  it('splits around every case-insensitive match, keeping the text as written', () => {
    expect(markMatches('Buy milk, more MILK', 'milk')).toEqual([
      { text: 'Buy ', mark: false },
      { text: 'milk', mark: true },
      { text: ', more ', mark: false },
      { text: 'MILK', mark: true },
    ]);
    expect(markMatches('a+b (c)', '+b (')).toEqual([
      { text: 'a', mark: false },
      { text: '+b (', mark: true },
      { text: 'c)', mark: false },
    ]);
    expect(markMatches('nothing here', 'milk')).toEqual([{ text: 'nothing here', mark: false }]);
    expect(markMatches('no search', undefined)).toEqual([{ text: 'no search', mark: false }]);
  });
});

describe('page sizes', () => {
  it('shows whole pages of a column, at least one and at most MAX_SHOWN', () => {
    expect(shownFor(null, 30)).toBe(30);
    expect(shownFor('abc', 30)).toBe(30);
    expect(shownFor('-5', 30)).toBe(30);
    expect(shownFor('31', 30)).toBe(60);
    expect(shownFor('60', 30)).toBe(60);
    expect(shownFor('99999', 30)).toBe(MAX_SHOWN);
  });

  it('keeps the list page within the pages there are', () => {
    expect(pageFor(null, 3)).toBe(1);
    expect(pageFor('2', 3)).toBe(2);
    expect(pageFor('9', 3)).toBe(3);
    expect(pageFor('0', 3)).toBe(1);
    expect(pageFor('1.5', 3)).toBe(1);
  });

  it('leaves on the board the columns a status filter allows', () => {
    expect(boardStatuses(undefined)).toEqual(['todo', 'doing', 'done']);
    expect(boardStatuses('open')).toEqual(['todo', 'doing']);
    expect(boardStatuses('done')).toEqual(['done']);
  });
});

describe('in-app URLs', () => {
  it('carry what a task form did, landing on the card after a move or a save', () => {
    expect(withNotice('/?q=milk', 'moved', 7)).toBe('/?q=milk&notice=moved&task=7#task-7');
    expect(withNotice('/list?page=2&notice=added&task=3', 'saved', 9)).toBe(
      '/list?page=2&notice=saved&task=9#task-9',
    );
    expect(withNotice('/?_action=createTask', 'added', 4)).toBe('/?notice=added&task=4');
  });

  it('drop the last notice from where forms come back to', () => {
    expect(getReturnPath(new URL('http://x/?q=a&notice=moved&task=3&_action=moveTask'))).toBe('/?q=a');
    expect(getReturnPath(new URL('http://x/list?page=2'))).toBe('/list?page=2');
  });

  it('keep filters, not paging, when switching between board and list', () => {
    expect(filterQuery(new URL('http://x/?q=a&todo=60&status=open&page=3&notice=moved'))).toBe(
      'q=a&status=open',
    );
    expect(pathsIn('w1').list(filterQuery(new URL('http://x/?sort=due')))).toBe('/w/w1/list?sort=due');
  });

  it('grow one column and page the list, keeping the filters', () => {
    expect(showMoreHref('/?q=a&doing=60', 'todo', 60, 42)).toBe('/?q=a&doing=60&todo=60#task-42');
    expect(pageHref('/list?q=a&page=2', 3)).toBe('/list?q=a&page=3');
    expect(pageHref('/list?q=a&page=2', 1)).toBe('/list?q=a');
  });

  it('link to a task with the way back', () => {
    expect(pathsIn('w1').task(5, '/w/w1/')).toBe('/w/w1/tasks/5');
    expect(pathsIn('w1').task(5, '/w/w1/list?q=a')).toBe('/w/w1/tasks/5?back=%2Fw%2Fw1%2Flist%3Fq%3Da');
    expect(withBack('/tasks/5/delete', '/?q=b')).toBe('/tasks/5/delete?back=%2F%3Fq%3Db');
  });
});

describe('a task card', () => {
  const clock = readUserClock('UTC', 'en-GB', 'UTC', new Date('2026-03-02T09:00:00Z'));
  const task = {
    id: 7,
    projectId: 1,
    projectName: 'Inbox',
    title: 'Pay the rent',
    description: 'Before the rent is due',
    status: 'todo' as const,
    priority: 'high' as const,
    dueDate: '2026-03-01',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    createdBy: null,
    updatedBy: null,
    position: 1,
    labels: [],
    checklist: { done: 0, total: 0 },
    overdue: true,
    dueToday: false,
  };

  it('names its state in classes and tags, and moves to the two other statuses through the shared form', () => {
    const card = toCardView(task, {
      clock,
      paths: pathsIn('w1'),
      returnTo: '/w/w1/?q=rent',
      q: 'rent',
      highlightId: 7,
    });
    expect(card.id).toBe('task-7');
    expect(card.className).toBe('card card--high card--overdue card--highlight');
    expect(card.href).toBe('/w/w1/tasks/7?back=%2Fw%2Fw1%2F%3Fq%3Drent');
    expect(card.title).toEqual([
      { text: 'Pay the ', mark: false },
      { text: 'rent', mark: true },
    ]);
    expect(card.overdue).toBe(true);
    expect(card.due).toEqual({
      className: 'tag tag--due',
      label: 'Due',
      iso: '2026-03-01',
      text: 'Sun 1 Mar',
    });
    expect(card.priority).toEqual({ className: 'tag tag--priority-high', label: 'High priority' });
    expect(card.status).toBeUndefined();
    expect(card.moves).toEqual([
      { value: '7:doing', text: 'Doing', label: 'Move “Pay the rent” to Doing' },
      { value: '7:done', text: 'Done', label: 'Move “Pay the rent” to Done' },
    ]);
  });

  it('shows the status in the list, "Due today" on the day, and no tag for normal priority', () => {
    const card = toCardView(
      { ...task, status: 'done', priority: 'normal', overdue: false, dueToday: true },
      { clock, paths: pathsIn('w1'), returnTo: '/w/w1/list', showStatus: true },
    );
    expect(card.className).toBe('card card--normal card--done');
    expect(card.status).toEqual({ className: 'tag tag--done', label: 'Done' });
    expect(card.due?.label).toBe('Due today');
    expect(card.due?.className).toBe('tag tag--due tag--today');
    expect(card.priority).toBeUndefined();
    expect(card.moves.map((m) => m.value)).toEqual(['7:todo', '7:doing']);
  });
});
