import type { APIRoute } from 'astro';
import { json } from '../../server/http/respond.ts';

/** Any other path under /api/, whatever the method: a JSON 404 (the API's error contract, docs/api.md). */
export const ALL: APIRoute = ({ url }) =>
  json({ error: { code: 'not_found', message: `There is no API at ${url.pathname}.` } }, 404);
