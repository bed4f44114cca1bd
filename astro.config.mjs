// @ts-check
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import node from '@astrojs/node';
import { defineConfig } from 'astro/config';
import { precompressDir } from './src/server/http/precompressed.ts';

/**
 * Build metadata for /version, fixed at build time: from CC_BUILD_* (the image build passes them
 * as build arguments), else from git when there is a checkout. Nothing runs git at run time.
 */
function buildInfo() {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  let commit = process.env.CC_BUILD_COMMIT;
  if (!commit) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim();
    } catch {
      commit = 'unknown';
    }
  }
  return {
    name: pkg.name,
    version: process.env.CC_BUILD_VERSION || pkg.version,
    commit,
    buildTime: process.env.CC_BUILD_TIME || new Date().toISOString(),
  };
}

/**
 * `.br` and `.gz` beside every text-like client file, made once at build time with the strongest
 * settings, so the server sends static files compressed without spending CPU per request.
 * @type {import('astro').AstroIntegration}
 */
const precompress = {
  name: 'code-canvas:precompress',
  hooks: {
    'astro:build:done': ({ dir, logger }) => {
      logger.info(`pre-compressed ${precompressDir(fileURLToPath(dir))} static files (.br, .gz)`);
    },
  },
};

// Every page is rendered on demand: the data lives in SQLite and changes per user.
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  integrations: [precompress],
  // Sign-in uses signed cookies (src/server/auth), so Astro's own session store is off:
  // a session store would mean a database write, i.e. an S3 upload, on read requests.
  session: false,
  // The origin check is the app's own (src/server/http/origin-check.ts): Astro's also refuses a
  // body-less DELETE from an API client, which no browser can send cross-site. The host is whatever
  // the browser used (localhost, the Function URL's domain, …) and the scheme comes from
  // X-Forwarded-Proto behind the Lambda adapter; Astro trusts the Host and X-Forwarded-* headers only
  // when allowedDomains is set, hence the open patterns.
  // Form actions take up to 16 MiB (Astro's default is 1 MiB): the account page's import posts a
  // file of up to CC_IMPORT_LIMIT_BYTES (at most 5 MiB), and its confirmation posts the file's
  // text back, which UTF-8 can make up to three times as long. The import checks its own limit.
  security: {
    checkOrigin: false,
    allowedDomains: [{ protocol: 'http' }, { protocol: 'https' }],
    actionBodySizeLimit: 16 * 1024 * 1024,
  },
  // No image endpoint: the app transforms no images, and Astro's answered 500 to some queries.
  image: { endpoint: { route: '/_image', entrypoint: './src/server/http/image-endpoint-off.ts' } },
  server: { port: 4321, host: '127.0.0.1' },
  build: { inlineStylesheets: 'never' },
  devToolbar: { enabled: false },
  vite: {
    // No inline assets: the Content-Security-Policy allows only same-origin scripts and styles.
    build: { assetsInlineLimit: 0 },
    define: { __BUILD_INFO__: JSON.stringify(buildInfo()) },
  },
});
