import { describe, expect, it } from 'vitest';
import { formatCsvRecord, parseCsv, undefuse } from '../../src/server/transfer/csv.ts';
import { parseTasksCsv } from '../../src/server/transfer/tasks-csv.ts';

describe('csv', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks, numbering rows as a spreadsheet does', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\r\n\r\nlast,,\n';
    const parsed = parseCsv(text);
    expect(parsed).toEqual({
      ok: true,
      records: [
        { row: 1, fields: ['a', 'b', 'c'] },
        { row: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
        { row: 4, fields: ['last', '', ''] },
      ],
    });
  });

  it('takes the delimiter the header row uses: semicolons (European spreadsheets) and tabs', () => {
    expect(parseCsv('Title;Status\nMilk, eggs;Done')).toEqual({
      ok: true,
      records: [
        { row: 1, fields: ['Title', 'Status'] },
        { row: 2, fields: ['Milk, eggs', 'Done'] },
      ],
    });
    expect(parseCsv('Title\tStatus\nA\tB')).toMatchObject({ records: [{}, { fields: ['A', 'B'] }] });
  });

  it('names the row of a quote that is never closed', () => {
    expect(parseCsv('Title\nfine\n"broken,\nstill broken\n')).toEqual({
      ok: false,
      row: 3,
      message: expect.stringContaining('never closed'),
    });
  });

  it('writes cells a spreadsheet would run as formulas with a quote in front, and reads them back', () => {
    const cells = ['=1+1', '+sum', '-minus', '@cmd', 'plain', 'a "quote"', 'new\nline', ' padded '];
    const line = formatCsvRecord(cells);
    expect(line).toBe(`'=1+1,'+sum,'-minus,'@cmd,plain,"a ""quote""","new\nline"," padded "`);
    const back = parseCsv(line);
    expect(back.ok && back.records[0]?.fields.map(undefuse)).toEqual(cells);
    // A quote that was typed, not added, stays.
    expect(undefuse("'quoted")).toBe("'quoted");
  });
});

describe('tasks csv', () => {
  it('reads the columns people name in other apps, with their values', () => {
    const parsed = parseTasksCsv(
      [
        'Name,Notes,State,Priority,Due,List,Tags,Checklist,Owner',
        'Buy milk,"2 litres\nsemi-skimmed",In progress,Medium,2026-03-01 00:00:00,Home,"errand, Errand, shop","[x] find bag\n[ ] pay"',
        'Call Sam,,,,,,,,',
      ].join('\r\n'),
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.ignoredColumns).toEqual(['Owner']);
    expect(parsed.workspaces[0]?.tasks).toEqual([
      {
        ref: 'Row 2',
        title: 'Buy milk',
        description: '2 litres\nsemi-skimmed',
        status: 'doing',
        priority: 'normal',
        dueDate: '2026-03-01',
        project: 'Home',
        labels: ['errand', 'shop'],
        checklist: [
          { ref: 'Row 2, checklist item 1', text: 'find bag', done: true, extra: {} },
          { ref: 'Row 2, checklist item 2', text: 'pay', done: false, extra: {} },
        ],
        extra: {},
      },
      {
        ref: 'Row 3',
        title: 'Call Sam',
        description: '',
        status: 'todo',
        priority: 'normal',
        dueDate: null,
        project: null,
        labels: [],
        checklist: [],
        extra: {},
      },
    ]);
  });

  it('lists every bad row with its spreadsheet row number and column', () => {
    const parsed = parseTasksCsv(
      'title,status,priority,due date\nok,todo,low,\n,doing,high,\nbad status,someday,low,\nbad date,done,high,31/12/2026\n',
    );
    expect(parsed.problems).toEqual([
      { where: 'Row 3', row: 3, field: 'Title', message: 'Title is required.' },
      { where: 'Row 4', row: 4, field: 'Status', message: '"someday" is not one of: To do, Doing, Done.' },
      { where: 'Row 5', row: 5, field: 'Due date', message: 'Due date must be a date like 2026-12-31.' },
    ]);
  });

  it('refuses a file without a Title column, or with no rows under its header', () => {
    expect(parseTasksCsv('name of thing,when\nx,y').problems[0]?.message).toMatch(/must be "Title"/);
    expect(parseTasksCsv('Title,Status\n').problems[0]?.message).toMatch(/no tasks/);
  });

  it('reads control characters and direction overrides as problems, as every form does', () => {
    const parsed = parseTasksCsv('Title\n"evil\u202Egnp.exe"\n"tab\tin title"\n');
    expect(parsed.problems.map((p) => p.row)).toEqual([2, 3]);
  });
});
