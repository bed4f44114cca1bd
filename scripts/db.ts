// `npm run db -- <command>`: list, pull, restore and push database versions. Logic lives in
// src/server/persistence/db-cli.ts and operator.ts; this file only wires the process to it.
import { runDbCli } from '../src/server/persistence/db-cli.ts';

process.exitCode = await runDbCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
