/**
 * Assembles the file tree the Lambda image runs from, in the build stage of Dockerfile.lambda:
 *
 *   node docker/trace-runtime.ts OUT_DIR
 *
 * OUT_DIR receives package.json, dist/ (whole: server bundle and client assets), src/server/ (whole),
 * server.ts, scripts/db.ts (the operator CLI), and only those node_modules files that these can load,
 * found by static tracing (@vercel/nft). Production node_modules weigh ~200 MB (bundler binaries,
 * sharp, shiki, …); the server loads a few MB of them.
 *
 * Files of packages that are not production dependencies are left out, as `npm prune --omit=dev`
 * would; docker/verify-runtime.ts then proves the tree runs. Run from the project root after
 * `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { nodeFileTrace } from '@vercel/nft';

/** Entry files the server and the operator CLI start from; the ones absent in this tree are skipped. */
const ENTRY_FILES = ['server.ts', 'scripts/db.ts'];
/** Copied whole, whatever the trace finds: Astro's output and the server-only sources. */
const WHOLE_DIRS = ['dist', 'src/server'];
/** Every module in these is a trace entry (Astro loads its page chunks by computed import). */
const TRACED_DIRS = ['dist/server', 'src/server'];
/**
 * Never shipped. Astro's default image service imports sharp lazily for the `/_image` endpoint;
 * the app serves no optimised images, and sharp with libvips is ~20 MB of the image.
 */
const EXCLUDED_PACKAGES = ['sharp', '@img/'];

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) fail('usage: node docker/trace-runtime.ts OUT_DIR');
  const root = process.cwd();
  if (!existsSync(join(root, 'dist/server/entry.mjs')))
    fail('dist/server/entry.mjs is missing: run `npm run build` first');

  const entries = [
    ...ENTRY_FILES.filter((f) => existsSync(join(root, f))),
    ...TRACED_DIRS.flatMap((d) => listFiles(join(root, d))).filter(
      (f) => /\.(m?js|ts)$/.test(f) && !f.endsWith('.d.ts'),
    ),
  ].map((f) => relative(root, join(root, f)));

  const { fileList, warnings } = await nodeFileTrace(entries, {
    base: root,
    // Node 24 runs the .ts sources with their types stripped; the tracer's parser needs the same.
    // A missing file is null, not an error, as in nft's own reader: it probes nested
    // node_modules/<dep>/package.json first, and a throw there abandons resolving the dependency.
    readFile: async (path: string) => {
      let source: Buffer;
      try {
        source = readFileSync(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR') return null;
        throw err;
      }
      return path.endsWith('.ts') && !path.endsWith('.d.ts')
        ? stripTypeScriptTypes(source.toString('utf8'))
        : source;
    },
    ignore: (path: string) => EXCLUDED_PACKAGES.some((p) => path.startsWith(`node_modules/${p}`)),
  });
  // "Failed to resolve" is what optional requires in try/catch look like (debug → supports-color,
  // better-sqlite3 → build/Debug); docker/verify-runtime.ts proves the traced tree really runs.
  const unresolved = [...warnings].filter((w) => /Failed to resolve dependency/.test(w.message));
  for (const w of warnings) if (!unresolved.includes(w)) console.warn(`trace-runtime: warning: ${w.message}`);
  if (unresolved.length > 0)
    console.log(`trace-runtime: ${unresolved.length} optional imports left unresolved`);

  const keep = dropDevPackages(root, [...fileList].filter(keepFile).sort());
  const files = new Set([...keep, 'package.json', ...WHOLE_DIRS.flatMap((d) => listFiles(join(root, d)))]);
  for (const file of files) copyEntry(join(root, file), join(out, file));
  report(root, [...files]);
}

/** Of better-sqlite3's prebuilt addons (every platform, ~2 MB each) keeps the one this platform loads. */
function keepFile(path: string): boolean {
  const addon = /^node_modules\/better-sqlite3\/prebuilds\/([^/]+)\.node$/.exec(path);
  if (!addon) return true;
  return addon[1] === `${isMusl() ? 'linuxmusl' : process.platform}-${process.arch}`;
}

function isMusl(): boolean {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return process.platform === 'linux' && !report.header?.glibcVersionRuntime;
}

/**
 * Drops files of packages outside the production dependency tree (`npm ls --omit=dev`), as
 * `npm prune --omit=dev` would: the tracer also follows optional requires in try/catch (debug →
 * supports-color) that resolve here only because a dev tool installed the package.
 */
function dropDevPackages(root: string, files: string[]): string[] {
  const prod = new Set(
    execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter(Boolean)
      .map((p) => relative(root, p)),
  );
  const dropped = new Set<string>();
  const kept = files.filter((f) => {
    const dir = packageDir(f);
    if (dir === undefined || prod.has(dir)) return true;
    dropped.add(dir);
    return false;
  });
  if (dropped.size > 0)
    console.log(`trace-runtime: left out (not production dependencies): ${[...dropped].join(', ')}`);
  return kept;
}

/** node_modules/a/node_modules/@b/c/x.js → node_modules/a/node_modules/@b/c */
function packageDir(path: string): string | undefined {
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(process.cwd(), join(e.parentPath, e.name)));
}

/** Copies a file, or recreates a symlink as a symlink (nft lists both the link and its target). */
function copyEntry(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  if (existsSync(to)) return;
  if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else copyFileSync(from, to);
}

function report(root: string, files: string[]): void {
  const byTop = new Map<string, number>();
  let total = 0;
  for (const f of files) {
    const st = lstatSync(join(root, f));
    if (!st.isFile()) continue;
    total += st.size;
    const top = f.startsWith('node_modules/') ? (packageDir(f) ?? f) : (f.split('/')[0] ?? f);
    byTop.set(top, (byTop.get(top) ?? 0) + st.size);
  }
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  const modules = [...byTop].filter(([k]) => k.startsWith('node_modules/')).reduce((s, [, v]) => s + v, 0);
  console.log(`trace-runtime: ${files.length} files, ${mb(total)} (node_modules ${mb(modules)})`);
  for (const [k, v] of [...byTop].sort((a, b) => b[1] - a[1]).slice(0, 8))
    console.log(`  ${mb(v).padStart(9)}  ${k}`);
}

function fail(message: string): never {
  console.error(`trace-runtime: ${message}`);
  process.exit(1);
}

await main();
