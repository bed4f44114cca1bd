import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/server/http/form.ts';

describe('safeReturnTo', () => {
  it.each([
    '/',
    '/list',
    '/list?status=todo&sort=due',
    '/tasks/12?back=%2Flist%3Fq%3Dx',
    '/list?q=a%0Ab',
    '/list#top',
  ])('keeps the local path %j as it is', (target) => {
    expect(safeReturnTo(target, '/fallback')).toBe(target);
  });

  it.each([
    ['a protocol-relative URL', '//evil.example'],
    ['a backslash after the slash', '/\\evil.example'],
    ['a backslash anywhere', '/tasks\\..\\evil'],
    ['a tab a browser would drop', '/\t/evil.example'],
    ['a line break a browser would drop', '/\n/evil.example'],
    ['a carriage return', '/\r/evil.example'],
    ['a space', '/ /evil.example'],
    ['a no-break space', '/\u00a0/evil.example'],
    ['a line separator', '/\u2028/x'],
    ['a bidi override', '/\u202e/x'],
    ['a zero-width space', '/\u200b/x'],
    ['NUL', '/x\u0000'],
    ['DEL', '/x\u007f'],
    ['a C1 control', '/x\u0085'],
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme', 'javascript:alert(1)'],
    ['a relative path', 'evil.example'],
    ['nothing', ''],
    ['an encoded second slash', '/%2F/evil.example'],
    ['an encoded backslash', '/%5Cevil.example'],
    ['an encoded tab', '/%09/evil.example'],
    ['a malformed escape', '/%E0%A4%A'],
    ['something far too long', `/${'a'.repeat(3000)}`],
  ])('falls back for %s', (_label, target) => {
    expect(safeReturnTo(target, '/fallback')).toBe('/fallback');
  });

  it('falls back for what is not a string', () => {
    expect(safeReturnTo(null, '/f')).toBe('/f');
    expect(safeReturnTo(undefined, '/f')).toBe('/f');
    expect(safeReturnTo(new File([], 'x'), '/f')).toBe('/f');
  });

  it('percent-encodes characters past ASCII, which a Location header cannot carry', () => {
    expect(safeReturnTo('/\u3002', '/f')).toBe('/%E3%80%82');
    expect(safeReturnTo('/list?q=caf\u00e9', '/f')).toBe('/list?q=caf%C3%A9');
    expect(safeReturnTo('/x\ud800', '/f')).toBe('/f');
  });

  it('returns only characters Node accepts in a header', () => {
    const samples = ['/\u3002', '/list?q=\u{1F469}\u200D\u{1F4BB}', '/\t/x', '/\u00ff'];
    for (const s of samples) expect(safeReturnTo(s, '/f')).toMatch(/^[\x21-\x7e]+$/);
  });
});
