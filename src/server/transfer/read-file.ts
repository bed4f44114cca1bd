import { AppError } from '../errors.ts';
import { parseExportJson } from './import-json.ts';
import { type ParsedImport, WHOLE_FILE } from './model.ts';
import { parseTasksCsv } from './tasks-csv.ts';

/**
 * Turns an uploaded file into what an import brings: which format it is (the type it was sent
 * with, else its name, else its first character), its text (UTF-8; a CSV that is not UTF-8 is
 * read as Windows-1252, which is what spreadsheets on Windows save "CSV" as), and its parse.
 */

export type ImportFormat = 'json' | 'csv';

/** Guesses the format from a content type or a file name; undefined when neither says. */
export function formatFromHints(
  contentType: string | undefined,
  filename: string | undefined,
): ImportFormat | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') return 'json';
  // Browsers on Windows send a .csv as application/vnd.ms-excel.
  if (type === 'text/csv' || type === 'application/vnd.ms-excel') return 'csv';
  const ext = /\.([a-z]+)$/i.exec(filename ?? '')?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'csv' || ext === 'txt' || ext === 'tsv') return 'csv';
  return undefined;
}

/** The text of the file: UTF-8 (a byte-order mark dropped), or Windows-1252 for a CSV that is not UTF-8. */
export function decodeImport(bytes: Uint8Array, format: ImportFormat | undefined): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (format === 'json') {
      throw new AppError('invalid', 'The file is not UTF-8 text, as a JSON export always is.', {
        field: 'file',
      });
    }
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** Parses the text of an import in `format` (or, when unknown, JSON if it starts with `{`). */
export function parseImport(text: string, format: ImportFormat | undefined): ParsedImport {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    return {
      format: format ?? 'csv',
      workspaces: [],
      problems: [{ where: WHOLE_FILE, message: 'The file is empty.' }],
      ignoredColumns: [],
    };
  }
  const json = format === 'json' || (format === undefined && body.trimStart().startsWith('{'));
  return json ? parseExportJson(body) : parseTasksCsv(body);
}

/** AppError('payload_too_large') for a file past the import limit, saying the limit. */
export function fileTooLarge(limit: number): AppError {
  const size =
    limit >= 1024 * 1024
      ? `${(limit / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`
      : `${Math.round(limit / 1024)} KB`;
  return new AppError(
    'payload_too_large',
    `The file is larger than ${size}, the most one import takes. Split it, or import one workspace at a time.`,
  );
}
