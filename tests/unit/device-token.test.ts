import { describe, expect, it } from 'vitest';
import { signDeviceToken, verifyDeviceToken } from '../../src/server/auth/device.ts';

const KEY = 'k'.repeat(32);

describe('known-browser tokens', () => {
  it('verify for the account they were made for, with a fresh id each time', () => {
    const a = signDeviceToken(12, KEY);
    const b = signDeviceToken(12, KEY);
    expect(verifyDeviceToken(a, 12, KEY)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(verifyDeviceToken(a, 12, KEY)).not.toBe(verifyDeviceToken(b, 12, KEY));
  });

  it('do not verify for another account, under another key, altered, or malformed', () => {
    const token = signDeviceToken(12, KEY);
    const [, , id, sig] = token.split('.');
    expect(verifyDeviceToken(token, 13, KEY)).toBeNull();
    expect(verifyDeviceToken(token, 12, 'o'.repeat(32))).toBeNull();
    expect(verifyDeviceToken(`d1.13.${id}.${sig}`, 13, KEY)).toBeNull();
    expect(verifyDeviceToken(`${token}.x`, 12, KEY)).toBeNull();
    expect(
      verifyDeviceToken(
        token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        12,
        KEY,
      ),
    ).toBeNull();
    expect(verifyDeviceToken(undefined, 12, KEY)).toBeNull();
    expect(verifyDeviceToken('', 12, KEY)).toBeNull();
  });
});
