/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    rt: import('./server/runtime.ts').Runtime;
    requestId: string;
    /** The signed-in user (null when not signed in), from the session checked by the middleware. */
    user: import('./server/auth/users.ts').User | null;
    session: import('./server/auth/service.ts').CurrentSession | null;
    /**
     * The workspace the URL names (`/w/{id}/…`, `/api/workspaces/{id}/…`; the personal one for
     * `/api/tasks` and `/api/projects`), once the middleware checked the user belongs to it; with
     * its database when the route reads or writes it.
     */
    workspace: import('./server/workspaces/context.ts').WorkspaceContext | null;
    /** What decides whether the rendered page may be kept and answered again (page cache). */
    keep: import('./server/http/rendered-pages.ts').KeepablePage;
  }
}

/** Build metadata inlined by astro.config.mjs at build time (no git at run time). */
declare const __BUILD_INFO__: { name: string; version: string; commit: string; buildTime: string };
