/**
 * Which database migrations each published Lambda version knows, recorded in the version's
 * Description as `migrations app=3,workspace=5` (the app's knownMigrations() of the checkout that
 * was built). A release refuses a database that has a migration it does not know, and any
 * published version may have been live and migrated the data, so moving `live` to a version that
 * knows fewer migrations of any kind than the most any version recorded would take the site down.
 */
import { knownMigrations } from '../src/server/db/migrations.ts';
import { DeployError } from './errors.ts';

export type KnownMigrations = Record<string, number>;

/** What the checkout being deployed knows (the image is built from the same tree). */
export function checkoutMigrations(): KnownMigrations {
  return knownMigrations();
}

const RECORD = /(?:^|\s)migrations ([a-z][a-z0-9_-]*=\d+(?:,[a-z][a-z0-9_-]*=\d+)*)(?:\s|$)/;

/** `migrations app=3,workspace=5`, kinds in order, for a version's Description. */
export function formatMigrations(known: KnownMigrations): string {
  const kinds = Object.keys(known).sort();
  return `migrations ${kinds.map((k) => `${k}=${known[k]}`).join(',')}`;
}

/** The record in a version's Description, or undefined when it has none (an older release published it). */
export function parseMigrations(description: string | undefined): KnownMigrations | undefined {
  const m = RECORD.exec(description ?? '');
  if (!m?.[1]) return undefined;
  return Object.fromEntries(
    m[1].split(',').map((pair) => {
      const [kind = '', id = '0'] = pair.split('=');
      return [kind, Number(id)];
    }),
  );
}

export interface PublishedVersion {
  version: string;
  description: string | undefined;
}

/** Per kind, the most migrations any published version recorded, and which version that was. */
export function highestRecorded(versions: PublishedVersion[]): Map<string, { id: number; version: string }> {
  const highest = new Map<string, { id: number; version: string }>();
  for (const v of versions) {
    for (const [kind, id] of Object.entries(parseMigrations(v.description) ?? {})) {
      if (id > (highest.get(kind)?.id ?? -1)) highest.set(kind, { id, version: v.version });
    }
  }
  return highest;
}

/**
 * Why `known` (what the version or checkout about to be live knows) may not open the database the
 * published versions may have migrated, or undefined when it can. `what` names it in the message.
 */
export function migrationGap(
  what: string,
  known: KnownMigrations | undefined,
  versions: PublishedVersion[],
): string | undefined {
  if (known === undefined) {
    return `${what} records no migrations (published by an older release of the deploy tool), so it may not open the database a later version migrated`;
  }
  const behind = [...highestRecorded(versions)]
    .filter(([kind, best]) => (known[kind] ?? 0) < best.id)
    .map(([kind, best]) => `${kind} ${known[kind] ?? 0} < ${best.id} (version ${best.version})`);
  if (behind.length === 0) return undefined;
  return `${what} knows fewer migrations than a published version that may have migrated the database: ${behind.join(', ')}; it would refuse the database and the site would go down`;
}

/** The one-line refusal, with the ways out; `forward` says how to go forward instead. */
export function migrationRefusal(gap: string, forward = 'deploy a fix forward instead'): DeployError {
  return new DeployError(gap, {
    fix: `${forward}; or restore a database version from before the migration (\`npm run db -- versions\`, then \`npm run db -- restore --version ID\`) and pass --force; or pass --force if you know the migration is compatible with that code`,
  });
}
