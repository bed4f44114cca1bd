/** A piece of text, and whether it matched the search (rendered in a <mark>). */
export interface Segment {
  text: string;
  mark: boolean;
}

/**
 * Splits `text` around every case-insensitive occurrence of the search `q`, so the card can mark
 * why it matched. No search, or no match: one unmarked segment.
 */
export function markMatches(text: string, q: string | undefined): Segment[] {
  if (!q) return [{ text, mark: false }];
  const pattern = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m[0] === '') break;
    if (m.index > last) out.push({ text: text.slice(last, m.index), mark: false });
    out.push({ text: m[0], mark: true });
    last = m.index + m[0].length;
  }
  if (last < text.length || out.length === 0) out.push({ text: text.slice(last), mark: false });
  return out;
}
