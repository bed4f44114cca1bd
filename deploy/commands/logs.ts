/**
 * `npm run logs`: prints the function's CloudWatch log events from `--since` ago, then keeps
 * polling FilterLogEvents every two seconds until stopped (Ctrl-C) unless `--no-follow`.
 *
 * Why polling and not StartLiveTail: live tail shows only events after it starts (no history,
 * which is what one wants after a failed deploy), is billed per session-minute beyond its free
 * tier, and streams over an HTTP/2 event stream that corporate proxies often break. Polling costs
 * nothing extra, shows history and the tail with one mechanism, and its few seconds of lag is fine
 * for reading logs by eye. Overlapping windows are de-duplicated by event id.
 */
import { type FilteredLogEvent, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients, Identity } from '../aws.ts';
import { DeployError, find } from '../errors.ts';
import { resourceNames } from '../names.ts';
import type { Print } from '../report.ts';
import type { Settings } from '../settings.ts';

export interface LogsDeps {
  settings: Settings;
  identity: Identity;
  clients: AwsClients;
  print: Print;
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** `30s`, `10m`, `2h`, `1d` → milliseconds. */
export function parseSince(text: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!m)
    throw new DeployError(`--since "${text}" is not a duration`, { fix: 'use e.g. 30s, 10m, 2h or 1d' });
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Waits `ms`, or less when `signal` aborts (Ctrl-C should not wait for the next poll). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Events can be ingested late with earlier timestamps: each poll looks back this far again. */
const OVERLAP_MS = 10_000;

export function formatEvent(event: FilteredLogEvent): string {
  const time = new Date(event.timestamp ?? 0).toISOString();
  // Lambda names streams `YYYY/MM/DD/[VERSION]id`: the version tells which release logged it.
  const version = /\[([^\]]+)\]/.exec(event.logStreamName ?? '')?.[1];
  return `${time} ${version ? `v${version} ` : ''}${(event.message ?? '').trimEnd()}`;
}

export async function runLogs(deps: LogsDeps): Promise<number> {
  const { settings, clients, print } = deps;
  const names = resourceNames(settings, deps.identity);
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => pause(ms, deps.signal));
  const logGroupName = names.logGroup;
  const seen = new Map<string, number>();
  let startTime = now() - parseSince(settings.logsSince);
  let printed = 0;
  print(
    `Logs of ${names.functionName} (${logGroupName}) since ${settings.logsSince} ago${settings.logsFollow ? '; Ctrl-C stops' : ''}`,
  );
  while (!deps.signal?.aborted) {
    let newest = startTime;
    let nextToken: string | undefined;
    do {
      const page = await find('logs: filter events of', logGroupName, ['ResourceNotFoundException'], () =>
        clients.logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            startTime,
            filterPattern: settings.logsFilter,
            nextToken,
          }),
        ),
      );
      if (!page) {
        throw new DeployError(`logs: no log group ${logGroupName}`, {
          fix: `deploy stage ${settings.stage} first`,
        });
      }
      for (const event of page.events ?? []) {
        const id = event.eventId ?? `${event.timestamp}:${event.message}`;
        newest = Math.max(newest, event.timestamp ?? 0);
        if (seen.has(id)) continue;
        seen.set(id, event.timestamp ?? 0);
        print(formatEvent(event));
        printed++;
      }
      nextToken = page.nextToken;
    } while (nextToken && !deps.signal?.aborted);
    if (!settings.logsFollow) break;
    startTime = Math.max(startTime, newest - OVERLAP_MS);
    for (const [id, ts] of seen) if (ts < startTime) seen.delete(id);
    await sleep(deps.pollMs ?? 2000);
  }
  return printed;
}
