/**
 * Dates as people read them. Due dates are calendar days (YYYY-MM-DD, no time zone); timestamps are
 * ISO instants shown in UTC, the same clock the server uses to decide what is overdue.
 */

const DAY = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
});
const DAY_WITH_YEAR = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});
const INSTANT = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "Tue 3 Feb" for a due date this year, "3 Feb 2027" otherwise. */
export function formatDueDate(isoDay: string, now: Date = new Date()): string {
  const date = new Date(`${isoDay}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return isoDay;
  return date.getUTCFullYear() === now.getUTCFullYear() ? DAY.format(date) : DAY_WITH_YEAR.format(date);
}

/** "3 Feb 2026, 14:05 UTC". */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${INSTANT.format(date)} UTC`;
}
