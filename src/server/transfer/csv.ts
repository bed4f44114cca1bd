/**
 * CSV as spreadsheets write and read it (RFC 4180): fields separated by a delimiter, quoted with
 * `"` when they hold one, a quote or a line break, quotes doubled inside. Spreadsheets in many
 * locales save with `;` (or a tab) instead of `,`: the reader takes whichever the header row uses.
 */

export interface CsvRecord {
  /** The record's number as a spreadsheet shows it (the header is row 1). */
  row: number;
  fields: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; row: number; message: string };

/** The delimiter the header row (up to its first line break) uses most: `,`, `;` or a tab. */
function detectDelimiter(text: string): string {
  const end = text.search(/\r|\n/);
  const header = end < 0 ? text : text.slice(0, end);
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    const count = header.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Parses `text` into records, skipping blank lines. A quote left open is an error naming its row. */
export function parseCsv(text: string): CsvResult {
  const delimiter = detectDelimiter(text);
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let quoteRow = 0;
  let row = 1;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push({ row, fields });
    row++;
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      quoteRow = row;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else field += c;
    i++;
  }
  if (quoted)
    return { ok: false, row: quoteRow, message: 'A quoted value is never closed (a closing " is missing).' };
  if (field !== '' || fields.length > 0) endRecord();
  return { ok: true, records };
}

/**
 * Characters that make a spreadsheet read a cell as a formula. A cell starting with one is written
 * with a `'` in front (the OWASP advice against CSV injection), and read back without it.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One record as a CSV line (no line break), `,`-separated, quoted where needed, formulas defused. */
export function formatCsvRecord(fields: readonly (string | null)[]): string {
  return fields
    .map((raw) => {
      const v = raw ?? '';
      const safe = FORMULA_START.test(v) ? `'${v}` : v;
      return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
    })
    .join(',');
}

/** A cell as it was before formatCsvRecord defused it (`'=1+1` → `=1+1`). */
export function undefuse(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
