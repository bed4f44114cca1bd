import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

let server: ServerProcess;
beforeAll(async () => {
  // One trusted proxy hop: each test picks its client address with X-Forwarded-For.
  server = await startServer({
    env: { CC_LOGIN_LIMIT_PER_ACCOUNT: '3', CC_LOGIN_LIMIT_PER_IP: '8', CC_TRUST_PROXY: '1' },
  });
});
afterAll(() => server?.stop());

describe('POST /api/signup', () => {
  it('creates an account, answers 201 and sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const api = new ApiClient(server.url);
    const email = uniqueEmail();
    const res = await api.post('/api/signup', { email, password: 'long enough' });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(email);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^cc_session=v2\./);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const me = await api.get('/api/projects');
    expect(me.status).toBe(200);
    expect(me.body.projects.map((p: { name: string }) => p.name)).toEqual(['Inbox']);
  });

  it('marks the cookie Secure when the request came over HTTPS', async () => {
    const res = await new ApiClient(server.url).post(
      '/api/signup',
      { email: uniqueEmail(), password: 'long enough' },
      { 'x-forwarded-proto': 'https' },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/i);
  });

  it('answers 409 for an email already taken, whatever its case', async () => {
    const email = uniqueEmail();
    await new ApiClient(server.url).signUp(email);
    const res = await new ApiClient(server.url).post('/api/signup', {
      email: email.toUpperCase(),
      password: 'long enough',
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', field: 'email' });
  });

  it.each([
    [{ email: 'not-an-email', password: 'long enough' }, 'email'],
    [{ password: 'long enough' }, 'email'],
    [{ email: uniqueEmail(), password: 'short' }, 'password'],
    [{ email: uniqueEmail(), password: 12345678 }, 'password'],
    [{ email: ['a@b.co'], password: 'long enough' }, 'email'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const res = await new ApiClient(server.url).post('/api/signup', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid');
    expect(res.body.error.field).toBe(field);
    expect(typeof res.body.error.message).toBe('string');
  });
});

describe('POST /api/login', () => {
  it('signs in with the right password, any email case', async () => {
    const email = uniqueEmail();
    await new ApiClient(server.url).signUp(email, 'the password');
    const api = new ApiClient(server.url);
    const res = await api.post('/api/login', { email: email.toUpperCase(), password: 'the password' });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(email);
    expect((await api.get('/api/tasks')).status).toBe(200);
  });

  it('gives the same 401 for an unknown email and a wrong password', async () => {
    const email = uniqueEmail();
    await new ApiClient(server.url).signUp(email, 'the password');
    const wrong = await new ApiClient(server.url).post('/api/login', { email, password: 'not the password' });
    const unknown = await new ApiClient(server.url).post('/api/login', {
      email: uniqueEmail(),
      password: 'whatever1',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('limits failed attempts per account with 429 and Retry-After, even with the right password', async () => {
    const email = uniqueEmail();
    await new ApiClient(server.url).signUp(email, 'the password');
    const ip = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) {
      const r = await new ApiClient(server.url).post('/api/login', { email, password: 'guess guess' }, ip);
      expect(r.status).toBe(401);
    }
    const limited = await new ApiClient(server.url).post(
      '/api/login',
      { email, password: 'the password' },
      ip,
    );
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits failed attempts per IP across accounts', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.9' };
    const codes: number[] = [];
    for (let i = 0; i < 9; i++) {
      codes.push(
        (
          await new ApiClient(server.url).post(
            '/api/login',
            { email: uniqueEmail(), password: 'guess guess' },
            ip,
          )
        ).status,
      );
    }
    expect(codes.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(codes[8]).toBe(429);
    const other = await new ApiClient(server.url).post(
      '/api/login',
      { email: uniqueEmail(), password: 'guess guess' },
      {
        'x-forwarded-for': '198.51.100.10',
      },
    );
    expect(other.status).toBe(401);
  });
});

describe('POST /api/logout', () => {
  it('clears the session cookie and the API answers 401 afterwards', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    const res = await api.post('/api/logout', {});
    expect(res.status).toBe(204);
    expect(api.cookie).toBe('');
    expect((await api.get('/api/tasks')).status).toBe(401);
  });
});

describe('sessions', () => {
  it('rejects a tampered, re-signed, extended or old-format cookie', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    const good = api.cookie.replace('cc_session=', '');
    const [v, sid = '', iat, sig] = good.split('.');
    const flipped = `${sid[0] === 'A' ? 'B' : 'A'}${sid.slice(1)}`;
    for (const forged of [
      `${v}.${flipped}.${iat}.${sig}`,
      `${v}.${sid}.${Number(iat) + 1}.${sig}`,
      `${good}.extra`,
      `${good}x`,
      `v1.${Buffer.from(JSON.stringify({ uid: 1, iat: 1, exp: 4_000_000_000 })).toString('base64url')}.${sig}`,
    ]) {
      const res = await new ApiClient(server.url).request('GET', '/api/tasks', undefined, {
        cookie: `cc_session=${forged}`,
      });
      expect(res.status, forged).toBe(401);
    }
    expect((await api.get('/api/tasks')).status).toBe(200);
  });

  it('answers 401 on every API route without a session', async () => {
    const api = new ApiClient(server.url);
    for (const [method, path] of [
      ['GET', '/api/tasks'],
      ['POST', '/api/tasks'],
      ['GET', '/api/tasks/1'],
      ['PATCH', '/api/tasks/1'],
      ['DELETE', '/api/tasks/1'],
      ['GET', '/api/projects'],
      ['POST', '/api/projects'],
    ] as const) {
      const res = await api.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });

  it('refuses a state-changing request that is neither JSON nor same-origin (CSRF)', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    const created = await api.post('/api/tasks', { title: 'keep me' });
    const res = await fetch(`${server.url}/api/tasks/${created.body.id}`, {
      method: 'DELETE',
      headers: { cookie: api.cookie, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect((await api.get(`/api/tasks/${created.body.id}`)).status).toBe(200);
  });
});
