/**
 * Content negotiation for compression: which encoding a request accepts, which bodies are worth
 * compressing, and the Vary header that says the answer depends on Accept-Encoding.
 */
import type { ServerResponse } from 'node:http';

export type Encoding = 'br' | 'gzip';

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg\+xml)/i;

/** Whether a Content-Type names a body worth compressing (text, JSON, JavaScript, SVG). */
export function isCompressible(contentType: unknown): boolean {
  return typeof contentType === 'string' && COMPRESSIBLE.test(contentType.trim());
}

/**
 * The encoding to answer with for an Accept-Encoding header: `br` when the client takes it at least
 * as gladly as gzip, else `gzip`, else undefined (identity). Honours q-values and `*`.
 */
export function negotiateEncoding(header: string | string[] | undefined): Encoding | undefined {
  const { br, gzip } = acceptance(header);
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return undefined;
}

/** How gladly (the q-value, 0 = not at all) an Accept-Encoding header takes each encoding. */
export function acceptance(header: string | string[] | undefined): Record<Encoding, number> {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const q = new Map<string, number>();
  for (const part of value.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    let weight = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q') weight = Number(v);
    }
    q.set(token, Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 1) : 0);
  }
  const any = q.get('*');
  return { br: q.get('br') ?? any ?? 0, gzip: q.get('gzip') ?? q.get('x-gzip') ?? any ?? 0 };
}

/** Adds `Accept-Encoding` to the response's Vary header unless it is already there (or `*`). */
export function varyOnEncoding(res: ServerResponse): void {
  const current = res.getHeader('vary');
  const list = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.some((v) => v === '*' || v.toLowerCase() === 'accept-encoding')) return;
  res.setHeader('Vary', [...list, 'Accept-Encoding'].join(', '));
}
