import { describe, expect, it } from 'vitest';
import { parseEmail, parseNewEmail } from '../../src/server/auth/users.ts';
import {
  parseProjectName,
  parseTaskFilter,
  parseTaskInput,
  parseTitle,
} from '../../src/server/tasks/validation.ts';
import { countCharacters, parseText } from '../../src/server/text.ts';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { field?: string }).field;
  }
  return undefined;
};
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('countCharacters', () => {
  it('counts what a person sees', () => {
    expect(countCharacters('abc')).toBe(3);
    expect(countCharacters('\u{1F469}\u200D\u{1F4BB}')).toBe(1); // ZWJ sequence, 5 UTF-16 units
    expect(countCharacters('\u{1F1EB}\u{1F1F7}')).toBe(1); // a flag
    expect(countCharacters('e\u0301')).toBe(1); // e + combining acute
    expect(countCharacters('\u{1F44D}\u{1F3FD}')).toBe(1); // skin tone
  });
});

describe('parseText', () => {
  const title = { field: 'title', label: 'Title', max: 5, trim: true, required: true };
  const notes = { field: 'notes', label: 'Notes', max: 10, multiline: true };

  it('normalises to NFC', () => {
    expect(parseText('Cafe\u0301', title)).toBe('Caf\u00e9');
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['BEL', 'a\u0007b'],
    ['ESC', 'a\u001bb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a tab', 'a\tb'],
    ['a line break', 'a\nb'],
    ['a line separator', 'a\u2028b'],
  ])('refuses %s in single-line text', (_label, text) => {
    expect(fieldOf(() => parseText(text, title))).toBe('title');
  });

  it('keeps line breaks in multi-line text, stored as \\n, and refuses other controls there', () => {
    expect(parseText('a\r\nb\rc\u2028d\u2029e', notes)).toBe('a\nb\nc\nd\ne');
    expect(messageOf(() => parseText('a\tb', notes))).toMatch(/control characters \(line breaks are fine\)/);
    expect(fieldOf(() => parseText('a\u0000', notes))).toBe('notes');
  });

  it.each(['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'])(
    'refuses the bidi control U+%s',
    (c) => {
      expect(messageOf(() => parseText(`ab${c}c`, title))).toMatch(/reverse the direction/);
      expect(fieldOf(() => parseText(`ab${c}c`, notes))).toBe('notes');
    },
  );

  it('keeps right-to-left text and the marks it uses', () => {
    expect(parseText('\u05e9\u05dc\u05d5\u05dd', title)).toBe('\u05e9\u05dc\u05d5\u05dd');
    expect(parseText('a\u200fb', title)).toBe('a\u200fb'); // RIGHT-TO-LEFT MARK
  });

  it.each([
    ['zero-width spaces', '\u200b\u200b'],
    ['a word joiner', '\u2060'],
    ['Hangul fillers', '\u3164\u115f'],
    ['a byte-order mark', '\ufeff'],
    ['soft hyphens', '\u00ad\u00ad'],
    ['ideographic spaces', '\u3000'],
  ])('refuses required text of only %s', (_label, text) => {
    expect(fieldOf(() => parseText(text, title))).toBe('title');
  });

  it('accepts invisible characters next to visible ones (emoji sequences need them)', () => {
    expect(parseText('\u{1F469}\u200D\u{1F4BB}', title)).toBe('\u{1F469}\u200D\u{1F4BB}');
  });

  it('counts the limit in user-perceived characters', () => {
    const emoji = '\u{1F469}\u200D\u{1F4BB}';
    expect(parseText(emoji.repeat(5), title)).toBe(emoji.repeat(5));
    expect(messageOf(() => parseText(emoji.repeat(6), title))).toBe('Title must be at most 5 characters.');
    expect(parseText('e\u0301'.repeat(5), title)).toBe('\u00e9'.repeat(5));
  });

  it('refuses absurdly long text without segmenting it', () => {
    expect(fieldOf(() => parseText('\u0301'.repeat(100_000), title))).toBe('title');
  });

  it('trims single-line text and requires something', () => {
    expect(parseText('  hi  ', title)).toBe('hi');
    expect(messageOf(() => parseText('   ', title))).toBe('Title is required.');
    expect(messageOf(() => parseText(42, title))).toBe('Title is required.');
    expect(parseText('', notes)).toBe('');
    expect(messageOf(() => parseText(42, notes))).toBe('Notes must be text.');
  });
});

describe('the task and project validators use the rules', () => {
  it('titles, descriptions, project names and searches', () => {
    expect(fieldOf(() => parseTitle('a\u0000'))).toBe('title');
    expect(fieldOf(() => parseTaskInput({ title: 'ok', description: 'x\u202e' }, { partial: false }))).toBe(
      'description',
    );
    expect(fieldOf(() => parseProjectName('\u200b'))).toBe('name');
    expect(fieldOf(() => parseTaskFilter(new URLSearchParams({ q: 'a\u0000' })))).toBe('q');
    expect(parseTaskFilter(new URLSearchParams({ q: ' Cafe\u0301 ' })).q).toBe('Caf\u00e9');
    expect(parseTitle('\u{1F469}\u200D\u{1F4BB}'.repeat(200))).toHaveLength(1000);
  });
});

describe('emails', () => {
  it.each([
    ['name@example.com', 'name@example.com'],
    ['  Name.Surname+tag@Example.co.uk ', 'name.surname+tag@example.co.uk'],
    ['e2e-x@example.test', 'e2e-x@example.test'],
    ['Jose\u0301@exa\u0301mple.com', 'jos\u00e9@ex\u00e1mple.com'],
    ['user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
    ['\u7528\u6237@\u4f8b\u5b50.\u4e2d\u56fd', '\u7528\u6237@\u4f8b\u5b50.\u4e2d\u56fd'],
  ])('accepts %j for a new account as %j', (email, stored) => {
    expect(parseNewEmail(email)).toBe(stored);
  });

  it.each([
    'plainaddress',
    'a@b',
    'a@@example.com',
    'a@b@example.com',
    'a@example..com',
    'a@.example.com',
    'a@example.com.',
    'a@-example.com',
    'a@example-.com',
    '.a@example.com',
    'a.@example.com',
    'a..b@example.com',
    'a b@example.com',
    'a"b@example.com',
    'a<b@example.com',
    'a@exam_ple.com',
    'a@example.c',
    'a@example.123',
    `${'a'.repeat(65)}@example.com`,
    'nul\u0000@example.com',
    'a\u202e@example.com',
    '\u200b@example.com',
    'a@exa\u200bmple.com',
    'a\u2028@example.com',
    '',
  ])('refuses %j for a new account', (email) => {
    expect(fieldOf(() => parseNewEmail(email))).toBe('email');
  });

  it('looks up an address made under the older, looser rules', () => {
    expect(parseEmail('.a@example.com')).toBe('.a@example.com');
    expect(fieldOf(() => parseEmail('nul\u0000@example.com'))).toBe('email');
  });
});
