/**
 * Static files compressed once, at build time, and sent as they are: `npm run build` writes a
 * `.br` (Brotli quality 11) and a `.gz` (gzip level 9) beside every text-like file of the client
 * directory (precompressDir, run by the integration in astro.config.mjs), and the server indexes
 * them at start (indexPrecompressed) and answers a request for the file with the sibling the
 * client accepts (servePrecompressed). A file without a useful sibling is left to the app's static
 * handler, and compressed on the fly like any other response.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Extensions worth pre-compressing, with the Content-Type each is served with. */
export const STATIC_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.webmanifest': 'application/manifest+json',
};

/** Files smaller than this gain nothing worth a second request header's worth of bytes. */
const MIN_STATIC_BYTES = 256;

interface Variant {
  path: string;
  size: number;
  etag: string;
}

interface StaticEntry {
  type: string;
  /** Vite's hashed bundles never change under the same name. */
  immutable: boolean;
  lastModified: string;
  br?: Variant;
  gzip?: Variant;
}

/** The pre-compressed files of a client directory, by URL path (`/_astro/x.css`). */
export type PrecompressedFiles = ReadonlyMap<string, StaticEntry>;

/**
 * Writes `.br` and `.gz` beside each text-like file under `dir` (kept only when smaller than the
 * original). Returns how many files were compressed. Run after the build, before anything serves.
 */
export function precompressDir(dir: string): number {
  let count = 0;
  for (const file of walk(dir)) {
    if (!(extname(file) in STATIC_TYPES)) continue;
    const body = readFileSync(file);
    if (body.length < MIN_STATIC_BYTES) continue;
    const br = brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
    const gz = gzipSync(body, { level: 9 });
    if (br.length < body.length) writeFileSync(`${file}.br`, br);
    if (gz.length < body.length) writeFileSync(`${file}.gz`, gz);
    count++;
  }
  return count;
}

/** Finds the pre-compressed siblings under `dir` (a missing directory has none). */
export function indexPrecompressed(dir: string): PrecompressedFiles {
  const files = new Map<string, StaticEntry>();
  let all: string[];
  try {
    all = walk(dir);
  } catch {
    return files;
  }
  const present = new Set(all);
  for (const file of all) {
    const type = STATIC_TYPES[extname(file)];
    if (!type) continue;
    const variant = (suffix: string, tag: string): Variant | undefined => {
      if (!present.has(file + suffix)) return undefined;
      const st = statSync(file + suffix);
      return {
        path: file + suffix,
        size: st.size,
        etag: `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${tag}"`,
      };
    };
    const br = variant('.br', 'br');
    const gzip = variant('.gz', 'gz');
    if (!br && !gzip) continue;
    const urlPath = `/${relative(dir, file).split(sep).join('/')}`;
    files.set(urlPath, {
      type,
      immutable: urlPath.startsWith('/_astro/'),
      lastModified: statSync(file).mtime.toUTCString(),
      ...(br ? { br } : {}),
      ...(gzip ? { gzip } : {}),
    });
  }
  return files;
}

/**
 * Answers a GET or HEAD for an indexed file with the sibling for `encoding`, and returns true; or
 * returns false (and touches nothing) when it cannot: another method, an unknown path, or a client
 * that accepts neither encoding the file has.
 */
export function servePrecompressed(
  files: PrecompressedFiles,
  req: IncomingMessage,
  res: ServerResponse,
  encoding: 'br' | 'gzip' | undefined,
): boolean {
  if (!encoding || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  let path = (req.url ?? '/').split('?')[0] ?? '/';
  try {
    path = decodeURIComponent(path);
  } catch {
    return false;
  }
  const entry = files.get(path);
  const variant = entry && (encoding === 'br' ? (entry.br ?? entry.gzip) : entry.gzip);
  if (!entry || !variant) return false;
  res.setHeader('Content-Type', entry.type);
  res.setHeader('Content-Encoding', variant === entry.br ? 'br' : 'gzip');
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('ETag', variant.etag);
  res.setHeader('Last-Modified', entry.lastModified);
  res.setHeader(
    'Cache-Control',
    entry.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=0',
  );
  const tags = req.headers['if-none-match'];
  if (tags?.split(',').some((t) => t.trim() === variant.etag || t.trim() === '*')) {
    res.removeHeader('Content-Encoding');
    res.statusCode = 304;
    res.end();
    return true;
  }
  res.setHeader('Content-Length', variant.size);
  res.statusCode = 200;
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  res.end(readFileSync(variant.path));
  return true;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}
