/**
 * scripts/run.js, the launcher every npm script that runs our TypeScript goes through: on Node 24 it
 * runs the entry as `node ENTRY.ts` would; on an older Node it says "needs Node 24 (see .nvmrc)" in
 * one line instead of Node's ERR_UNKNOWN_FILE_EXTENSION stack. The older Node is the machine's own
 * (`/usr/bin/node` here is 20), or CC_TEST_OLD_NODE; without one that part skips, saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
const needed = Number(readFileSync(`${root}.nvmrc`, 'utf8').trim());
const MESSAGE = new RegExp(`^code-canvas needs Node ${needed} \\(see \\.nvmrc\\); this is Node \\d+\\.`);

function findOldNode(): string | undefined {
  for (const candidate of [process.env.CC_TEST_OLD_NODE, '/usr/bin/node', '/usr/local/bin/node']) {
    if (!candidate || !existsSync(candidate)) continue;
    const major = Number(
      execFileSync(candidate, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }),
    );
    if (major < needed) return candidate;
  }
  return undefined;
}
const oldNode = findOldNode();

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('the Node version launcher', () => {
  it('is how every npm script that runs a .ts entry point, or Astro, starts', () => {
    for (const [name, command] of Object.entries(pkg.scripts)) {
      // No `node something.ts` that skips the launcher.
      expect(command, name).not.toMatch(/(^|&&\s*)node (?!scripts\/run\.js)\S+\.ts/);
      if (/\bastro (dev|build)\b/.test(command) || name === 'test') {
        expect(command, name).toMatch(/^node scripts\/run\.js --check && /);
      }
    }
    const launched = Object.values(pkg.scripts).filter((c) => c.includes('node scripts/run.js '));
    expect(launched.length).toBeGreaterThanOrEqual(12);
  });

  it('on this Node runs the entry with the argv it would have had, exit code included', () => {
    const help = spawnSync(process.execPath, ['scripts/run.js', 'deploy/cli.ts', 'destroy', '--help'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(help.status).toBe(0);
    expect(lines(help.stdout)[0]).toBe('usage: node deploy/cli.ts destroy [options]');
    const bad = spawnSync(process.execPath, ['scripts/run.js', 'deploy/cli.ts', 'ship'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(lines(bad.stderr)).toEqual([
      '✖ unknown command "ship" — use one of: deploy, rollback, logs, destroy',
    ]);
  }, 60_000);

  const older = oldNode ? it : it.skip;
  const why = oldNode
    ? `(${oldNode})`
    : '— skipped: no Node older than the .nvmrc one here (set CC_TEST_OLD_NODE)';

  older(
    `on an older Node says what is needed in one line, directly and through npm ${why}`,
    () => {
      const node = oldNode as string;
      const direct = spawnSync(node, ['scripts/run.js', 'server.ts'], { cwd: root, encoding: 'utf8' });
      expect(direct.status).toBe(1);
      expect(direct.stdout).toBe('');
      expect(lines(direct.stderr)).toHaveLength(1);
      expect(direct.stderr).toMatch(MESSAGE);

      // npm runs each script with the first `node` on PATH: the older one.
      const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
      for (const [name, command] of Object.entries(pkg.scripts)) {
        if (!command.startsWith('node scripts/run.js') && !command.includes('&& node scripts/run.js'))
          continue;
        const r = spawnSync('npm', ['run', name, '--', '--help'], { cwd: root, env, encoding: 'utf8' });
        const all = [...lines(r.stdout), ...lines(r.stderr)];
        // npm's own lines: the `> code-canvas@… name` banner and its `npm error|warn` lines.
        const ours = all.filter((l) => !l.startsWith('> ') && !l.startsWith('npm '));
        expect(r.status, name).not.toBe(0);
        expect(ours, name).toHaveLength(1);
        expect(ours[0], name).toMatch(MESSAGE);
        expect(all.join('\n'), name).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
      }
    },
    120_000,
  );
});
