/**
 * Rendered pages kept in memory, so a board or list asked for again while nothing it shows has
 * changed is sent without running the app: a render of the board costs 3–12 ms of a core, a page
 * from here about what a static file does.
 *
 * What makes a page the same page (the key): the host, the path and query, the whole Cookie header
 * (the session, the browser's time zone) and Accept-Language (the date format) — everything a page
 * reads from its request. What makes it still true (checked on every hit, before a byte is sent):
 * - the directory and the workspace are revalidated exactly as a render would revalidate them
 *   (`ensureFresh`: on S3 a conditional GET each, so a write acknowledged by any instance before the
 *   request arrived is seen); the workspace is still the version the page was rendered from, and
 *   the directory rows it showed (session, user, their workspaces and invitations) are unchanged;
 * - the session has not ended and its cookie is not due for a refresh (a new cookie is a render's
 *   job);
 * - the user's calendar day and UTC offset are still the ones the page's "Overdue" and "Due today"
 *   were worked out for.
 * Anything else — no entry, a check that fails or throws — and the request goes to the app as if
 * there were no cache. Pages opt in (the board and the list, without an Undo notice), and only a
 * 200 text/html answer to a GET that set no cookie is kept.
 *
 * Fresh form tokens on every hit: a page carries one-time form tokens (form-once.ts) and two
 * page views must never share one, or a form sent from each would be taken for one submission
 * sent twice. The page is kept cut at its tokens; a hit puts new random tokens in. For gzip, each
 * piece is deflated once on its own (a full flush, so no piece refers back into another) and a hit
 * joins them with each token as a stored block, then the CRC and length — no compression work per
 * hit. Brotli streams cannot be joined like that, so a hit is sent as gzip (or uncompressed to a
 * client that takes no gzip); a render is still sent as Brotli.
 *
 * The cache lives on globalThis: server.ts creates it (CC_PAGE_CACHE_MB) and answers hits ahead of
 * the app; the app's middleware, bundled apart from server.ts, finds it there to fill it and to
 * give it the check that needs the runtime. Bounded by bytes, least recently used out first.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { acceptance } from './encoding.ts';

const KEY = Symbol.for('code-canvas.page-cache');

/** What a page was rendered from, checked again before it is served. */
export interface PageBasis {
  userId: number;
  /** The session's stored id (its row is part of what the page read). */
  sessionIdHash: string;
  workspaceId: string;
  /** What the render read: the workspace's version and the directory rows the page shows. */
  versions: string;
  /** The user's time zone, calendar day and UTC offset the page's dates were worked out for. */
  clock: { timeZone: string; today: string; utcOffset: number };
  /** Until when (epoch ms) the session answers as it did (its end, or its cookie's next refresh). */
  sessionStableUntil: number;
}

/** Decides whether `basis` still holds now (the request's cookie is part of the key). */
export type PageCheck = (basis: PageBasis) => Promise<boolean>;

export interface StoredPage extends PageBasis {
  /** Headers of the rendered response worth replaying (content type, cache control…). */
  headers: [string, string][];
  /** The page cut at its form tokens: tokens.length + 1 pieces. */
  pieces: Buffer[];
  /** The token lengths, in order (a token is replaced by a new one of the same length). */
  tokenLengths: number[];
}

interface Entry extends StoredPage {
  bytes: number;
  /** Each piece deflated on its own, made on the first gzip hit. */
  deflated?: Buffer[];
  length: number;
}

/** A 10-byte gzip header: deflate, no name, no time, unknown OS-neutral flags. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** Form tokens are 16 random bytes in base64url (form-once.ts). */
const TOKEN_BYTES = 16;

export class PageCache {
  readonly maxBytes: number;
  readonly stats = { hits: 0, misses: 0, stored: 0, evicted: 0 };
  #entries = new Map<string, Entry>();
  #bytes = 0;
  #check: PageCheck | undefined;

  constructor(opts: { maxBytes: number }) {
    this.maxBytes = opts.maxBytes;
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  /** Given once by the app (it needs the runtime): what a hit must pass. */
  setCheck(check: PageCheck): void {
    this.#check ??= check;
  }

  /**
   * Answers `req` from the cache when it can: undefined at once when there is no entry for it (the
   * caller runs the app), else a promise of whether it was answered (false: run the app).
   */
  serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> | undefined {
    if (req.method !== 'GET' || !this.#check || this.#entries.size === 0) return undefined;
    const key = keyOf(req.headers.host, req.url, req.headers.cookie, req.headers['accept-language']);
    const entry = key ? this.#entries.get(key) : undefined;
    if (!key || !entry) return undefined;
    // A hit goes out as gzip, or as it is to a client that takes neither gzip nor Brotli; one that
    // takes Brotli but not gzip gets a render, in Brotli.
    const accepted = acceptance(req.headers['accept-encoding']);
    const gzip = accepted.gzip > 0;
    if (!gzip && accepted.br > 0) return undefined;
    return this.#check(entry).then(
      (ok) => {
        if (!ok) {
          this.#drop(key, entry);
          this.stats.misses++;
          return false;
        }
        // Most recently used last (unless a render replaced it meanwhile: this one still holds).
        if (this.#entries.get(key) === entry) {
          this.#entries.delete(key);
          this.#entries.set(key, entry);
        }
        this.stats.hits++;
        this.#send(res, entry, gzip);
        return true;
      },
      () => {
        this.stats.misses++;
        return false;
      },
    );
  }

  /** Keeps a rendered page for the request it answered. Pages larger than a quarter of the cache are not kept. */
  store(key: string, page: StoredPage): void {
    if (!this.enabled) return;
    const length =
      page.pieces.reduce((n, p) => n + p.length, 0) + page.tokenLengths.reduce((n, t) => n + t, 0);
    const bytes = length + key.length;
    if (bytes > this.maxBytes / 4) return;
    const old = this.#entries.get(key);
    // Concurrent renders of one page: the first kept stays (its gzip pieces may be made already).
    if (old && old.versions === page.versions && sameClock(old.clock, page.clock)) return;
    if (old) this.#drop(key, old);
    this.#entries.set(key, { ...page, bytes, length });
    this.#bytes += bytes;
    this.stats.stored++;
    this.#trim();
  }

  /** Least recently used out until the cache is within its bound. */
  #trim(): void {
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(k, e);
      this.stats.evicted++;
    }
  }

  #drop(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes + (entry.deflated?.reduce((n, d) => n + d.length, 0) ?? 0);
  }

  #send(res: ServerResponse, entry: Entry, gzip: boolean): void {
    const random = randomBytes(TOKEN_BYTES * entry.tokenLengths.length);
    const tokens = entry.tokenLengths.map((_, i) =>
      Buffer.from(random.subarray(i * TOKEN_BYTES, (i + 1) * TOKEN_BYTES).toString('base64url')),
    );
    for (const [name, value] of entry.headers) res.setHeader(name, value);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('X-Page-Cache', 'hit');
    const parts: Buffer[] = [];
    if (gzip) {
      if (!entry.deflated) {
        entry.deflated = entry.pieces.map((p) => deflateRawSync(p, { finishFlush: constants.Z_FULL_FLUSH }));
        this.#bytes += entry.deflated.reduce((n, d) => n + d.length, 0);
        this.#trim();
      }
      let crc = 0;
      parts.push(GZIP_HEADER);
      entry.deflated.forEach((d, i) => {
        crc = crc32(entry.pieces[i] as Buffer, crc);
        parts.push(d);
        const token = tokens[i];
        if (token) {
          crc = crc32(token, crc);
          parts.push(storedBlockHeader(token.length, false), token);
        }
      });
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(crc >>> 0, 0);
      trailer.writeUInt32LE(entry.length % 2 ** 32, 4);
      parts.push(storedBlockHeader(0, true), trailer);
      res.setHeader('Content-Encoding', 'gzip');
    } else {
      entry.pieces.forEach((p, i) => {
        parts.push(p);
        const token = tokens[i];
        if (token) parts.push(token);
      });
    }
    const body = Buffer.concat(parts);
    res.setHeader('Content-Length', body.length);
    res.writeHead(200);
    res.end(body);
  }
}

function sameClock(a: PageBasis['clock'], b: PageBasis['clock']): boolean {
  return a.timeZone === b.timeZone && a.today === b.today && a.utcOffset === b.utcOffset;
}

/**
 * The cache key of a request: host, path and query (as the URL parser normalises them, for the
 * app and this module alike), the whole Cookie header and Accept-Language. Undefined when the
 * request carries no cookie (nobody signed in: nothing to keep).
 */
export function keyOf(
  host: string | null | undefined,
  target: string | undefined,
  cookie: string | null | undefined,
  acceptLanguage: string | string[] | null | undefined,
): string | undefined {
  if (!cookie || !target) return undefined;
  let url: URL;
  try {
    url = new URL(target, 'http://x');
  } catch {
    return undefined;
  }
  const lang = Array.isArray(acceptLanguage) ? acceptLanguage.join(', ') : (acceptLanguage ?? '');
  return `${host ?? ''}\n${url.pathname}${url.search}\n${cookie}\n${lang}`;
}

/**
 * Cuts `html` at each of `tokens` (each must occur exactly once, in the order given or any order),
 * or undefined when one does not: the page is then not kept.
 */
export function cutAtTokens(
  html: Buffer,
  tokens: string[],
): { pieces: Buffer[]; tokenLengths: number[] } | undefined {
  const found: { at: number; length: number }[] = [];
  for (const token of tokens) {
    const needle = Buffer.from(token);
    const at = html.indexOf(needle);
    if (at < 0 || html.indexOf(needle, at + 1) >= 0 || needle.length !== 22) return undefined;
    found.push({ at, length: needle.length });
  }
  found.sort((a, b) => a.at - b.at);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const { at, length } of found) {
    if (at < from) return undefined;
    pieces.push(html.subarray(from, at));
    from = at + length;
  }
  pieces.push(html.subarray(from));
  return { pieces: pieces.map((p) => Buffer.from(p)), tokenLengths: found.map((f) => f.length) };
}

/**
 * The header of a deflate stored block of `length` bytes (at most 65,535), final or not, for a
 * stream that is on a byte boundary (as a full flush leaves it): the bytes themselves follow as
 * they are.
 */
function storedBlockHeader(length: number, final: boolean): Buffer {
  const header = Buffer.alloc(5);
  header[0] = final ? 1 : 0;
  header.writeUInt16LE(length, 1);
  header.writeUInt16LE(~length & 0xffff, 3);
  return header;
}

/** Creates the process's page cache (server.ts), or finds it (the app). */
export function installPageCache(maxBytes: number): PageCache {
  const g = globalThis as { [KEY]?: PageCache };
  g[KEY] ??= new PageCache({ maxBytes });
  return g[KEY];
}

/** The process's page cache, if server.ts made one (not under `astro dev`). */
export function findPageCache(): PageCache | undefined {
  return (globalThis as { [KEY]?: PageCache })[KEY];
}
