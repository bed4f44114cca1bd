/**
 * Tells the server the browser's time zone, so "Overdue" and "Due today" follow the user's own
 * calendar day: a plain cookie (`cc_tz`), never a session or database write. The page says which
 * zone it was rendered for (`data-time-zone`, absent when the server used its default); when that
 * differs, the cookie is set, and if the day shown is not the browser's day the page is loaded
 * again, once.
 */
const COOKIE = 'cc_tz';
const RELOADED_KEY = 'code-canvas:tz-reloaded';

/** The browser's calendar day, YYYY-MM-DD. */
function localDay(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function syncTimeZone(): void {
  let zone: string;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone || document.body.dataset.timeZone === zone) return;
  const secure = location.protocol === 'https:' ? '; secure' : '';
  document.cookie = `${COOKIE}=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax${secure}`;
  const shownDay = document.body.dataset.today;
  if (!shownDay || shownDay === localDay()) return;
  // Only once per zone and tab: if the cookie did not stick (cookies off), do not loop.
  try {
    if (sessionStorage.getItem(RELOADED_KEY) === zone) return;
    sessionStorage.setItem(RELOADED_KEY, zone);
  } catch {
    return;
  }
  if (document.cookie.includes(`${COOKIE}=`)) location.reload();
}
