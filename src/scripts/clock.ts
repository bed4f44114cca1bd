/**
 * Tells the server the browser's time zone, so "Overdue" and "Due today" follow the user's own
 * calendar day: a plain cookie (`cc_tz`), never a session or database write. The page says which
 * zone it was rendered for (`data-time-zone`, absent when the server used its default) and that
 * zone's UTC offset; when the browser's differs, the cookie is set, and if the day shown is not the
 * browser's day the page is loaded again, once.
 */
const COOKIE = 'cc_tz';
const RELOADED_KEY = 'code-canvas:tz-reloaded';

/** The browser's calendar day, YYYY-MM-DD. */
function localDay(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Sets `cc_tz` when the page was rendered for another clock than the browser's (see above). */
export function syncTimeZone(): void {
  // The first Intl call of a page costs tens of milliseconds (ICU starts up). While the zone the
  // page was rendered for is at the browser's own UTC offset, its calendar day is the browser's:
  // nothing to tell. (When the offsets part, at a daylight-saving change or a trip, the zone's
  // name is looked up and sent.)
  const { utcOffset, timeZone: rendered } = document.body.dataset;
  if (utcOffset !== undefined && Number(utcOffset) === new Date().getTimezoneOffset()) return;
  let zone: string;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone || rendered === zone) return;
  const secure = location.protocol === 'https:' ? '; secure' : '';
  document.cookie = `${COOKIE}=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax${secure}`;
  // Only a page that shows tasks or dates is worth loading again for the right day.
  const shownDay = document.body.dataset.today;
  if (!shownDay || shownDay === localDay() || !document.querySelector('time, [data-cards]')) return;
  // Only once per zone and tab: if the cookie did not stick (cookies off), do not loop.
  try {
    if (sessionStorage.getItem(RELOADED_KEY) === zone) return;
    sessionStorage.setItem(RELOADED_KEY, zone);
  } catch {
    return;
  }
  if (document.cookie.includes(`${COOKIE}=`)) location.reload();
}
