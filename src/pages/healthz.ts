import type { APIRoute } from 'astro';
import { json } from '../server/http/respond.ts';

/**
 * Readiness: 200 once the database is restored, 503 before (and after a failed start, with the
 * reason). The Lambda Web Adapter polls this path and routes no traffic until it answers 200.
 */
export const GET: APIRoute = ({ locals }) => {
  const { engine } = locals.rt;
  const object = engine.object;
  if (engine.state === 'ready') {
    return json({ status: 'ready', etag: object?.etag ?? null, versionId: object?.versionId ?? null });
  }
  return json({ status: engine.state, ...(engine.error ? { error: engine.error.message } : {}) }, 503, {
    'Retry-After': '1',
  });
};
