// `node scripts/run.js ENTRY.ts [ARGS…]`: what every npm script that runs one of our TypeScript entry
// points goes through (`npm start`, `npm run db`, `npm run deploy`, …); `node scripts/run.js --check`
// only checks. Node 24 runs .ts files as they are (type stripping); an older Node dies on them with
// ERR_UNKNOWN_FILE_EXTENSION and a stack trace before any of our code runs. This file is plain
// JavaScript so that any Node can read it: it checks the version, says in one line what is needed,
// and otherwise runs the entry in this same process (signals, stdin and the exit code stay the
// entry's own). `node server.ts` itself needs no launcher on Node 24, and the image runs it directly.
//
// Keep the syntax old enough for the Node versions it refuses (nothing newer than Node 14's).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function requiredMajor() {
  try {
    const text = readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim();
    const major = Number(/^v?(\d+)/.exec(text)?.[1]);
    if (major > 0) return major;
  } catch {
    // No .nvmrc next to the sources (a trimmed copy): the version this release was written for.
  }
  return 24;
}

const needed = requiredMajor();
const have = process.versions.node;
if (Number(have.split('.')[0]) < needed) {
  process.stderr.write(
    `code-canvas needs Node ${needed} (see .nvmrc); this is Node ${have} (${process.execPath}): ` +
      `switch with \`nvm use\`, or install it with \`bash .ci/install-node.sh\`\n`,
  );
  process.exit(1);
}

const entry = process.argv[2];
if (entry === undefined || entry.startsWith('-')) {
  if (entry !== '--check') {
    process.stderr.write('usage: node scripts/run.js ENTRY.ts [ARGS…] | node scripts/run.js --check\n');
    process.exit(2);
  }
} else {
  // The entry sees the argv it would have had as `node ENTRY.ts ARGS…` (deploy/cli.ts compares
  // process.argv[1] with its own path to decide that it is the program).
  const path = resolve(entry);
  process.argv.splice(1, 2, path);
  await import(pathToFileURL(path).href);
}
