import { AppError } from './errors.ts';

/**
 * The rules every piece of free text a person types goes through (task titles and descriptions,
 * project names, searches; emails add their own on top):
 *
 * 1. NFC, so the same words are the same bytes: they compare, match a search and count alike.
 * 2. No control characters (C0, DEL, C1): a NUL or an escape sequence has no place in a title, and
 *    some break whatever displays or exports the text later. Line breaks only where the text is
 *    multi-line (descriptions), stored as `\n`.
 * 3. No bidi embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069): they reorder what
 *    follows them on screen, which is how `invoice‮gnp.exe` passes for `invoiceexe.png`.
 * 4. Lengths count what a person sees (grapheme clusters), so 200 emoji are 200 characters, not 1,000.
 * 5. Required text needs at least one visible character: zero-width spaces and Hangul fillers alone
 *    make a task that looks empty.
 */

export interface TextSpec {
  /** The field an error names (as in the API and the forms). */
  field: string;
  /** How the field is called in a message: "Title", "Project name". */
  label: string;
  /** Most user-perceived characters allowed. */
  max: number;
  /** Line breaks allowed (stored as `\n`). */
  multiline?: boolean;
  /** Leading and trailing white space removed (single-line fields). */
  trim?: boolean;
  /** Something visible is required. */
  required?: boolean;
}

/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/** The same but `\n`, which a multi-line field keeps (the others were turned into it first). */
const CONTROL_BUT_NEWLINE = /(?!\n)\p{Cc}/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]*$/u;
/** A grapheme cluster is rarely longer than this many UTF-16 units; past it, do not even segment. */
const MAX_UNITS_PER_CHARACTER = 32;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** How many characters a person sees in `text` (extended grapheme clusters). */
export function countCharacters(text: string): number {
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}

/**
 * `v` cleaned by the rules above, or AppError('invalid') naming `spec.field`. An empty string is
 * returned for empty optional text.
 */
export function parseText(v: unknown, spec: TextSpec): string {
  if (typeof v !== 'string') {
    throw invalid(spec, spec.required ? `${spec.label} is required.` : `${spec.label} must be text.`);
  }
  let text = v.normalize('NFC');
  if (spec.multiline) text = text.replace(/\r\n?|[\u2028\u2029]/g, '\n');
  if (spec.trim) text = text.trim();
  if (text === '' && spec.required) throw invalid(spec, `${spec.label} is required.`);
  if ((spec.multiline ? CONTROL_BUT_NEWLINE : CONTROL).test(text)) {
    throw invalid(
      spec,
      spec.multiline
        ? `${spec.label} cannot contain control characters (line breaks are fine).`
        : `${spec.label} cannot contain line breaks or other control characters.`,
    );
  }
  if (BIDI_CONTROL.test(text)) {
    throw invalid(
      spec,
      `${spec.label} cannot contain characters that reverse the direction of the text around them.`,
    );
  }
  if (spec.required && INVISIBLE_ONLY.test(text)) {
    throw invalid(spec, `${spec.label} needs at least one visible character.`);
  }
  if (text.length > spec.max * MAX_UNITS_PER_CHARACTER || countCharacters(text) > spec.max) {
    throw invalid(spec, `${spec.label} must be at most ${spec.max.toLocaleString('en')} characters.`);
  }
  return text;
}

/** True when `text` has a control, bidi or zero-width/format character: nothing an address has. */
export function hasHiddenCharacters(text: string): boolean {
  return /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(text);
}

function invalid(spec: TextSpec, message: string): AppError {
  return new AppError('invalid', message, { field: spec.field });
}
