import { describe, expect, it } from 'vitest';
import { newSessionId, parseSessionToken, signSessionToken } from '../../src/server/auth/session.ts';

const KEY = 'k'.repeat(32);

describe('parseSessionToken', () => {
  const sid = newSessionId();
  const token = signSessionToken(sid, KEY);

  it('accepts the token it signed, giving back the session id and when it was issued', () => {
    const parsed = parseSessionToken(token, KEY);
    expect(parsed?.sid).toBe(sid);
    expect(Math.abs((parsed?.issuedAt ?? 0) - Date.now() / 1000)).toBeLessThan(5);
  });

  it.each([
    ['an extra segment', `${token}.extra`],
    ['an empty extra segment', `${token}.`],
    ['a leading segment', `x.${token}`],
    ['white space around it', ` ${token}`],
    ['a line break after it', `${token}\n`],
    ['a padded signature', `${token}=`],
    ['another version', token.replace(/^v2\./, 'v3.')],
    ['the old version', token.replace(/^v2\./, 'v1.')],
    ['a missing signature', token.split('.').slice(0, 3).join('.')],
    ['a truncated signature', token.slice(0, -1)],
    ['a signature of other characters', token.replace(/\.[^.]+$/, `.${'+'.repeat(43)}`)],
    ['a short session id', token.replace(`.${sid}.`, `.${sid.slice(1)}.`)],
    ['a changed issue time', token.replace(/\.(\d+)\./, (_m, t: string) => `.${Number(t) + 1}.`)],
    ['an issue time that is not a number', token.replace(/\.(\d+)\./, '.12a4.')],
  ])('refuses %s', (_label, bad) => {
    expect(parseSessionToken(bad, KEY)).toBeNull();
  });

  it('refuses a valid-looking token signed with another key', () => {
    expect(parseSessionToken(signSessionToken(sid, 'o'.repeat(32)), KEY)).toBeNull();
  });
});
