/**
 * Reads the Function URL's invoke mode from Dockerfile.lambda's AWS_LWA_INVOKE_MODE, so the image
 * and the URL cannot disagree: a streaming adapter behind a buffered URL (or the reverse) breaks
 * every response. The same reader gives the tests the image's whole environment.
 */
import { DeployError } from './errors.ts';

export type InvokeMode = 'BUFFERED' | 'RESPONSE_STREAM';

interface Stage {
  name: string | undefined;
  from: string;
  env: Map<string, string>;
}

/** The invoke mode the final stage of `dockerfile` (its text) sets; BUFFERED, the adapter's default, when unset. */
export function readInvokeMode(dockerfile: string, file = 'Dockerfile.lambda'): InvokeMode {
  const value = finalStageEnv(dockerfile).get('AWS_LWA_INVOKE_MODE');
  if (value === undefined) return 'BUFFERED';
  const mode = value.toLowerCase();
  if (mode === 'response_stream') return 'RESPONSE_STREAM';
  if (mode === 'buffered') return 'BUFFERED';
  throw new DeployError(`${file}: AWS_LWA_INVOKE_MODE "${value}" is not buffered or response_stream`);
}

/** The environment the final stage of `dockerfile` runs with, including what it inherits from earlier stages. */
export function finalStageEnv(dockerfile: string): Map<string, string> {
  const stages = parseStages(dockerfile);
  const chain: Stage[] = [];
  let stage = stages.at(-1);
  while (stage && !chain.includes(stage)) {
    chain.unshift(stage);
    // A stage built FROM an earlier stage inherits its environment.
    const parent = stage.from;
    stage = stages.find((s) => s.name !== undefined && s.name === parent);
  }
  return new Map(chain.flatMap((s) => [...s.env]));
}

function parseStages(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const instruction = (m[1] ?? '').toUpperCase();
    const rest = m[2] ?? '';
    if (instruction === 'FROM') {
      const f = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      stages.push({ from: f?.[1]?.toLowerCase() ?? '', name: f?.[2]?.toLowerCase(), env: new Map() });
    } else if (instruction === 'ARG') {
      for (const [k, v] of pairs(rest)) if (v !== undefined) args.set(k, v);
    } else if (instruction === 'ENV') {
      const stage = stages.at(-1);
      // Legacy form: `ENV NAME value with spaces`.
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
        const [name, ...value] = rest.split(/\s+/);
        if (name) stage?.env.set(name, expand(value.join(' '), args, stage?.env));
        continue;
      }
      for (const [k, v] of pairs(rest)) stage?.env.set(k, expand(v ?? '', args, stage?.env));
    }
  }
  return stages;
}

function pairs(text: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("([^"]*)"|'([^']*)'|\S*))?/g)) {
    out.push([m[1] ?? '', m[2] === undefined ? undefined : (m[3] ?? m[4] ?? m[2])]);
  }
  return out;
}

function expand(value: string, args: Map<string, string>, env: Map<string, string> | undefined): string {
  return value.replace(
    /\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?/g,
    (_, name: string, fallback?: string) => {
      return env?.get(name) ?? args.get(name) ?? fallback ?? '';
    },
  );
}
