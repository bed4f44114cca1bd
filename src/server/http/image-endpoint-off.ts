import type { APIRoute } from 'astro';

/**
 * Stands in for Astro's image endpoint (`/_image`), which Astro injects into every server build.
 * The app serves no transformed images, and the real endpoint answered 500 to some queries (an
 * output format it cannot make): every request there is the ordinary 404 page instead.
 */
export const ALL: APIRoute = (ctx) => ctx.rewrite('/404');
