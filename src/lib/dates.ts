/**
 * Dates as the user reads them. Due dates are calendar days (YYYY-MM-DD, no time zone); "today"
 * is the user's own calendar day, in the time zone their browser reports (the `cc_tz` cookie the
 * page script keeps; a plain cookie, never a session or database write), else the server's default
 * (CC_DEFAULT_TIME_ZONE). Every date is shown in one format, in the browser's language.
 */
/** The cookie the page script sets to the browser's IANA time zone. */
export const TIME_ZONE_COOKIE = 'cc_tz';

/** Used when the browser names no language this runtime can format dates in. */
const FALLBACK_LOCALE = 'en-GB';

/** The user's clock: their time zone, the locale dates are shown in, and their calendar day. */
export interface UserClock {
  timeZone: string;
  locale: string;
  /** The user's calendar day, YYYY-MM-DD. */
  today: string;
  /** Whether the time zone came from the browser (otherwise it is the server's default). */
  fromBrowser: boolean;
  /** The zone's offset now, as the browser's `Date#getTimezoneOffset` counts it (UTC+1 is -60). */
  utcOffset: number;
}

/**
 * The clock for a request: the time zone from the cookie when it names a real zone (anything else
 * is ignored, not an error), else `defaultTimeZone`; the locale from the first usable language of
 * Accept-Language.
 */
export function readUserClock(
  cookieValue: string | undefined,
  acceptLanguage: string | null,
  defaultTimeZone: string,
  now: Date = new Date(),
): UserClock {
  const locale = pickLocale(acceptLanguage);
  const clockIn = (timeZone: string, fromBrowser: boolean): UserClock => ({
    timeZone,
    locale,
    today: dayIn(timeZone, now),
    fromBrowser,
    utcOffset: utcOffsetOf(timeZone, now),
  });
  if (cookieValue && cookieValue.length <= 64) {
    try {
      return clockIn(cookieValue, true);
    } catch {
      // Not a time zone this runtime knows (a stale or hand-made cookie): use the default.
    }
  }
  return clockIn(defaultTimeZone, false);
}

/** Minutes to add to the time in `timeZone` to get UTC, at `now` (UTC+1 gives -60, like getTimezoneOffset). */
export function utcOffsetOf(timeZone: string, now: Date = new Date()): number {
  const name = formatter('en-US', timeZone, { timeZoneName: 'longOffset' })
    .formatToParts(now)
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '+' ? 0 - minutes : minutes;
}

/** The calendar day (YYYY-MM-DD) it is at `now` in `timeZone`. */
export function dayIn(timeZone: string, now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return formatter('en-CA', timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** "Tue 3 Feb" (in the user's language) for a due date this year, "3 Feb 2027" otherwise. */
export function formatDueDate(isoDay: string, clock: UserClock): string {
  const date = new Date(`${isoDay}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return isoDay;
  const sameYear = isoDay.slice(0, 4) === clock.today.slice(0, 4);
  const options: Intl.DateTimeFormatOptions = sameYear
    ? { weekday: 'short', day: 'numeric', month: 'short' }
    : { day: 'numeric', month: 'short', year: 'numeric' };
  return formatter(clock.locale, 'UTC', options).format(date);
}

/** "3 Feb 2026, 14:05 CET": an instant in the user's time zone and language. */
export function formatInstant(iso: string, clock: UserClock): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatter(clock.locale, clock.timeZone, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

const locales = new Map<string, string>();

/** The first language of an Accept-Language header that Intl can format dates in. */
export function pickLocale(acceptLanguage: string | null): string {
  const header = acceptLanguage ?? '';
  let locale = locales.get(header);
  if (locale === undefined) {
    locale = firstSupportedLocale(header);
    // Browsers send a handful of distinct headers; a stranger's flood only empties the cache.
    if (locales.size > 500) locales.clear();
    locales.set(header, locale);
  }
  return locale;
}

function firstSupportedLocale(acceptLanguage: string): string {
  const tags = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((t) => t.tag && t.tag !== '*' && t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of tags) {
    try {
      const [supported] = Intl.DateTimeFormat.supportedLocalesOf([tag]);
      if (supported) return supported;
    } catch {
      // A malformed tag: try the next one.
    }
  }
  return FALLBACK_LOCALE;
}

// Building an Intl.DateTimeFormat costs far more than using one; a board formats a date per card.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(
  locale: string,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    // Bounded: a handful of options times the locales and zones actually seen.
    if (formatters.size > 500) formatters.clear();
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

/** The parts of an Astro page or component context the clock is read from. */
export interface ClockSource {
  cookies: { get(name: string): { value: string } | undefined };
  request: Request;
  locals: App.Locals;
}

// The layout and the page both ask; one request has one clock.
const clocks = new WeakMap<Request, UserClock>();

/** The user's clock for this request (see readUserClock). */
export function getUserClock(ctx: ClockSource): UserClock {
  let clock = clocks.get(ctx.request);
  if (!clock) {
    clock = readUserClock(
      ctx.cookies.get(TIME_ZONE_COOKIE)?.value,
      ctx.request.headers.get('accept-language'),
      // The error page may render before the middleware set the runtime up.
      ctx.locals.rt?.config.defaultTimeZone ?? 'UTC',
    );
    clocks.set(ctx.request, clock);
  }
  return clock;
}
