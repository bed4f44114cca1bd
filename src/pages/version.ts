import type { APIRoute } from 'astro';
import { json } from '../server/http/respond.ts';

/** What is running: metadata fixed at build time, plus where it runs. Never a secret. */
export const GET: APIRoute = ({ locals }) =>
  json({
    name: __BUILD_INFO__.name,
    version: __BUILD_INFO__.version,
    commit: __BUILD_INFO__.commit,
    buildTime: __BUILD_INFO__.buildTime,
    runtime: locals.rt.config.runtime,
    node: process.version,
  });
