import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('settings documentation', () => {
  it('documents every setting config.ts reads in the one table of docs/settings.md', () => {
    const source = read('src/server/config.ts');
    const names = [...source.matchAll(/r\.(?:string|int|bool|oneOf)\(\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(10);
    const table = read('docs/settings.md')
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .join('\n');
    for (const name of names) expect(table, name).toContain(`\`${name}\``);
  });
});
