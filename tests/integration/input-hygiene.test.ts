import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

// Issue 11, item 10, end to end through the API: what is refused changes nothing, what is accepted
// is stored normalised. The rules themselves are unit-tested in tests/unit/text.test.ts.

let server: ServerProcess;
let api: ApiClient;
beforeAll(async () => {
  server = await startServer();
  api = new ApiClient(server.url);
  await api.signUp();
});
afterAll(() => server?.stop());

const EMOJI = '\u{1F469}\u200D\u{1F4BB}'; // woman technologist: one character, five UTF-16 units

describe('task text', () => {
  it.each([
    ['a NUL', 'before\u0000after'],
    ['a line break', 'two\nlines'],
    ['a bidi override', 'invoice \u202Egnp.exe'],
    ['only invisible characters', '\u200B\u2060\u3164'],
    ['an escape character', 'bell \u001B[31m'],
  ])('refuses a title with %s (400 naming the field) and stores nothing', async (_label, title) => {
    const before = (await api.get('/api/tasks')).body.tasks.length;
    const res = await api.post('/api/tasks', { title });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid', field: 'title' });
    expect((await api.get('/api/tasks')).body.tasks.length).toBe(before);
  });

  it('counts what a person sees: 200 emoji fit a 200-character title, 201 do not', async () => {
    const ok = await api.post('/api/tasks', { title: EMOJI.repeat(200) });
    expect(ok.status).toBe(201);
    expect(ok.body.title).toBe(EMOJI.repeat(200));
    const tooLong = await api.post('/api/tasks', { title: EMOJI.repeat(201) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/200 characters/);
  });

  it('stores text in NFC, so the same words look the same and match a search', async () => {
    const res = await api.post('/api/tasks', { title: 'Cafe\u0301 menu' });
    expect(res.status).toBe(201);
    expect(res.body.title).toBe('Caf\u00e9 menu');
    const found = await api.get(`/api/tasks?q=${encodeURIComponent('Caf\u00e9')}`);
    expect(found.body.tasks.map((t: { id: number }) => t.id)).toContain(res.body.id);
  });

  it('keeps line breaks in a description but refuses other control characters there', async () => {
    const ok = await api.post('/api/tasks', { title: 'described', description: 'one\r\ntwo\nthree' });
    expect(ok.status).toBe(201);
    expect(ok.body.description).toBe('one\ntwo\nthree');
    const bad = await api.post('/api/tasks', { title: 'described', description: 'one\u0000two' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('description');
  });

  it('applies the same rules to project names and a search', async () => {
    expect((await api.post('/api/projects', { name: '\u200B' })).status).toBe(400);
    expect((await api.post('/api/projects', { name: 'a\u202Eb' })).status).toBe(400);
    expect((await api.get(`/api/tasks?q=${encodeURIComponent('a\u0000')}`)).status).toBe(400);
  });
});

describe('emails', () => {
  it.each([
    'nul\u0000@example.com',
    'a@b',
    'a@@example.com',
    'a@example..com',
    'a@-example.com',
    '.a@example.com',
    'a b@example.com',
    'a@example.com\u202E',
    '\u200B@example.com',
    'a@example.c',
    'a"b@example.com',
  ])('refuses %j at signup', async (email) => {
    const res = await new ApiClient(server.url).post('/api/signup', { email, password: 'long enough' });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('email');
  });

  it('accepts an internationalised address and stores it in NFC, lower case', async () => {
    const res = await new ApiClient(server.url).post('/api/signup', {
      email: `Jose\u0301-${Date.now()}@Exa\u0301mple.com`,
      password: 'long enough',
    });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toMatch(/^jos\u00e9-\d+@ex\u00e1mple\.com$/);
  });
});

describe('session cookies', () => {
  it('refuses a token with an extra segment', async () => {
    const other = new ApiClient(server.url);
    await other.signUp(uniqueEmail('token'));
    expect((await other.get('/api/tasks')).status).toBe(200);
    const valid = other.cookie;
    for (const tail of ['.extra', '.', '..x']) {
      other.cookie = `${valid}${tail}`;
      expect((await other.get('/api/tasks')).status, tail).toBe(401);
    }
  });
});
