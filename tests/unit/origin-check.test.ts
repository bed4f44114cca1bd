import { describe, expect, it } from 'vitest';
import { isCrossSiteRequest } from '../../src/server/http/origin-check.ts';

const URL_ = new URL('https://app.example/api/tasks/1');
const req = (method: string, headers: Record<string, string>) => new Request(URL_, { method, headers });
const HERE = 'https://app.example';
const THERE = 'https://evil.example';
const FORM = 'application/x-www-form-urlencoded';

describe('isCrossSiteRequest', () => {
  it.each([
    ['GET from anywhere', 'GET', { origin: THERE }],
    ['HEAD', 'HEAD', {}],
    ['a same-origin form post', 'POST', { origin: HERE, 'content-type': FORM }],
    ['a same-origin body-less DELETE', 'DELETE', { origin: HERE }],
    ['a body-less DELETE from an API client', 'DELETE', {}],
    ['a PATCH from an API client with a text body', 'PATCH', { 'content-type': 'text/plain' }],
    ['a JSON POST from an API client', 'POST', { 'content-type': 'application/json' }],
    [
      'a JSON POST naming another origin (a preflight this app never grants)',
      'POST',
      { origin: THERE, 'content-type': 'application/json' },
    ],
  ])('lets through %s', (_label, method, headers) => {
    expect(isCrossSiteRequest(req(method, headers), URL_)).toBe(false);
  });

  it.each([
    ['a cross-site form post', 'POST', { origin: THERE, 'content-type': FORM }],
    [
      'a cross-site multipart post',
      'POST',
      { origin: THERE, 'content-type': 'multipart/form-data; boundary=x' },
    ],
    ['a cross-site text/plain post', 'POST', { origin: THERE, 'content-type': 'text/plain;charset=UTF-8' }],
    ['a body-less cross-site post (fetch no-cors)', 'POST', { origin: THERE }],
    ['a form post from an opaque origin', 'POST', { origin: 'null', 'content-type': FORM }],
    ['a form post without Origin', 'POST', { 'content-type': FORM }],
    ['a body-less post without Origin', 'POST', {}],
    ['a DELETE naming another origin', 'DELETE', { origin: THERE }],
    ['a PUT from an opaque origin', 'PUT', { origin: 'null' }],
    ['a same-host origin on another scheme', 'POST', { origin: 'http://app.example', 'content-type': FORM }],
  ])('refuses %s', (_label, method, headers) => {
    expect(isCrossSiteRequest(req(method, headers), URL_)).toBe(true);
  });
});
