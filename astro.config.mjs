// @ts-check
import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

// Every page is rendered on demand: the data lives in SQLite and changes per user.
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  // Sign-in uses signed cookies (src/server/auth), so Astro's own session store is off:
  // a session store would mean a database write, i.e. an S3 upload, on read requests.
  session: false,
  security: { checkOrigin: true },
  server: { port: 4321, host: '127.0.0.1' },
  build: { inlineStylesheets: 'never' },
  // No inline assets: the Content-Security-Policy allows only same-origin scripts and styles.
  vite: { build: { assetsInlineLimit: 0 } },
  devToolbar: { enabled: false },
});
