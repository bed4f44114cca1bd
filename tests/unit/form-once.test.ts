import type { ActionAPIContext } from 'astro:actions';
import { describe, expect, it } from 'vitest';
import { formGuard, newFormToken, ONCE_FIELD } from '../../src/server/http/form-once.ts';

const ctx = {
  locals: { user: { id: 7 }, rt: { config: { idempotencyTtlHours: 24 } } },
} as unknown as ActionAPIContext;

function form(token: string, fields: Record<string, string>): FormData {
  const f = new FormData();
  f.set(ONCE_FIELD, token);
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

describe('form token guard', () => {
  it('binds the token to what the form carried', () => {
    const token = newFormToken();
    const a = formGuard(ctx, form(token, { title: 'one' }), 'createTask');
    const b = formGuard(ctx, form(token, { title: 'two' }), 'createTask');
    expect(a?.scope).toBe('7:form');
    expect(a?.key.startsWith(`${token}.`)).toBe(true);
    expect(a?.key).not.toBe(b?.key);
    expect(formGuard(ctx, form(token, { title: 'one' }), 'createTask')).toEqual(a);
  });

  it('keeps passwords out of the key it stores', () => {
    const token = newFormToken();
    const change = (currentPassword: string, newPassword: string) =>
      formGuard(
        ctx,
        form(token, { username: 'ann@example.com', currentPassword, newPassword }),
        'changePassword',
      );
    // Were the passwords digested, the stored key would let anyone with the directory test guesses.
    expect(change('correct horse', 'a new secret')?.key).toBe(change('other', 'guesses')?.key);
  });

  it('guards nothing without a well-formed token', () => {
    expect(formGuard(ctx, form('short', { title: 'x' }), 'createTask')).toBeUndefined();
  });
});
