/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    rt: import('./server/runtime.ts').Runtime;
    user: import('./server/auth/users.ts').User | null;
    requestId: string;
  }
}

/** Build metadata inlined by astro.config.mjs at build time (no git at run time). */
declare const __BUILD_INFO__: { name: string; version: string; commit: string; buildTime: string };
