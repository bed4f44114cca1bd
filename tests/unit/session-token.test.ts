import { describe, expect, it } from 'vitest';
import { signSession, verifySession } from '../../src/server/auth/session.ts';

const KEY = 'k'.repeat(32);

describe('verifySession', () => {
  const token = signSession(7, KEY);

  it('accepts the token it signed', () => {
    expect(verifySession(token, KEY)?.uid).toBe(7);
  });

  it.each([
    ['an extra segment', `${token}.extra`],
    ['an empty extra segment', `${token}.`],
    ['a leading segment', `x.${token}`],
    ['white space around it', ` ${token}`],
    ['a line break after it', `${token}\n`],
    ['a padded signature', `${token}=`],
    ['another version', token.replace(/^v1\./, 'v2.')],
    ['a missing signature', token.split('.').slice(0, 2).join('.')],
    ['a truncated signature', token.slice(0, -1)],
    ['a signature of other characters', token.replace(/\.[^.]+$/, `.${'+'.repeat(43)}`)],
    ['an empty payload', token.replace(/^v1\.[^.]+\./, 'v1..')],
  ])('refuses %s', (_label, bad) => {
    expect(verifySession(bad, KEY)).toBeNull();
  });

  it('refuses a valid-looking token signed with another key, and an expired one', () => {
    expect(verifySession(signSession(7, 'o'.repeat(32)), KEY)).toBeNull();
    expect(verifySession(signSession(7, KEY, Date.now() - 31 * 24 * 3600_000), KEY)).toBeNull();
  });
});
