import type { APIRoute } from 'astro';
import { json } from '../server/http/respond.ts';

/**
 * Readiness: 200 once the directory is restored (and the session key loaded), 503 before (and after
 * a failed start, with the reason). The Lambda Web Adapter polls this path and routes no traffic
 * until it answers 200. Later, an object found damaged makes it 503 `degraded`, naming the objects
 * (reads are still served from their last good copies; writes to them answer 503).
 */
export const GET: APIRoute = ({ locals }) => {
  const { engine } = locals.rt;
  const { state, error } = locals.rt.status();
  if (state !== 'ready') {
    return json({ status: state, ...(error ? { error } : {}) }, 503, { 'Retry-After': '1' });
  }
  const degraded = engine.degraded();
  const object = engine.directory.object;
  const body = {
    etag: object?.etag ?? null,
    versionId: object?.versionId ?? null,
    openWorkspaces: engine.usage().openWorkspaces,
  };
  if (degraded.length > 0)
    return json({ status: 'degraded', ...body, degraded }, 503, { 'Retry-After': '30' });
  return json({ status: 'ready', ...body });
};
