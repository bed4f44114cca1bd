/**
 * `node deploy/cli.ts <deploy|rollback|logs|destroy> [options]` — the operator's entry point
 * (`npm run deploy` and friends). Expected failures print one line (what failed, on what, the fix)
 * on stderr and exit 1 with no stack trace; anything else is a bug and keeps its stack.
 */
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { resolveIdentity } from './aws.ts';
import { runDeploy } from './commands/deploy.ts';
import { runDestroy } from './commands/destroy.ts';
import { runLogs } from './commands/logs.ts';
import { runRollback } from './commands/rollback.ts';
import { cliDocker } from './docker.ts';
import { formatError, isDeployError } from './errors.ts';
import { COMMANDS, type Command, formatHelp } from './options.ts';
import { type Env, parseSettings } from './settings.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export async function main(argv: string[], env: Env): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    const command = COMMANDS.find((c) => c === argv[0]) as Command | undefined;
    print(formatHelp(command));
    return argv.length === 0 ? 1 : 0;
  }
  const settings = parseSettings(argv, env);
  const { identity, clients } = await resolveIdentity(settings.region, settings.profile, env);
  switch (settings.command) {
    case 'deploy': {
      const docker = cliDocker({
        onOutput: settings.verbose ? (chunk) => process.stderr.write(chunk) : undefined,
      });
      await runDeploy({ settings, identity, clients, docker, root: ROOT, print });
      return 0;
    }
    case 'rollback':
      await runRollback({ settings, identity, clients, print });
      return 0;
    case 'logs': {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await runLogs({ settings, identity, clients, print, signal: stop.signal });
      return 0;
    }
    case 'destroy':
      await runDestroy({ settings, identity, clients, print, ask: process.stdin.isTTY ? ask : undefined });
      return 0;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (isDeployError(err)) {
        if (err.details) process.stderr.write(`${err.details}\n`);
        process.stderr.write(`✖ ${formatError(err)}\n`);
      } else {
        process.stderr.write(`✖ unexpected error (a bug; please report it):\n`);
        console.error(err);
      }
      process.exitCode = 1;
    },
  );
}
