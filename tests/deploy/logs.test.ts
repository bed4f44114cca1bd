import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLogs } from '../../deploy/commands/logs.ts';
import { DeployError } from '../../deploy/errors.ts';
import { parseSettings } from '../../deploy/settings.ts';
import { FakeAccount } from './support/fake-aws.ts';

const GROUP = '/aws/lambda/code-canvas-prod';
const NOW = Date.parse('2025-11-23T12:00:00Z');
const event = (id: string, secondsAgo: number, message: string, version = '3') => ({
  eventId: id,
  timestamp: NOW - secondsAgo * 1000,
  message: `${message}\n`,
  logStreamName: `2025/11/23/[${version}]abcdef`,
});

describe('logs', () => {
  let fake: FakeAccount;
  let output: string[];
  beforeEach(() => {
    fake = new FakeAccount();
    output = [];
  });
  afterEach(() => fake.restore());
  const run = (args: string[], extra: Partial<Parameters<typeof runLogs>[0]> = {}) =>
    runLogs({
      settings: parseSettings(['logs', ...args], {}),
      identity: fake.identity,
      clients: fake.clients,
      print: (l) => output.push(l),
      now: () => NOW,
      ...extra,
    });

  it('prints the events since --since, oldest first, with the version that logged them, across pages', async () => {
    fake.logGroups.set(GROUP, {
      events: [
        event('1', 3600, 'too old'),
        event('2', 240, 'START RequestId: r1'),
        event('3', 230, '{"level":"info","msg":"GET / 200"}'),
        event('4', 220, 'END RequestId: r1', '4'),
      ],
    });
    const printed = await run(['--since', '5m', '--no-follow']);
    expect(printed).toBe(3);
    expect(output.slice(1)).toEqual([
      '2025-11-23T11:56:00.000Z v3 START RequestId: r1',
      '2025-11-23T11:56:10.000Z v3 {"level":"info","msg":"GET / 200"}',
      '2025-11-23T11:56:20.000Z v4 END RequestId: r1',
    ]);
    expect(fake.inputs('FilterLogEvents')[0]).toMatchObject({
      logGroupName: GROUP,
      startTime: NOW - 300_000,
    });
  });

  it('follows new events without printing one twice, until stopped', async () => {
    const group = { events: [event('1', 20, 'first')] };
    fake.logGroups.set(GROUP, group);
    const stop = new AbortController();
    let polls = 0;
    const printed = await run(['--since', '1m', '--filter', 'ERROR'], {
      signal: stop.signal,
      pollMs: 1,
      sleep: async () => {
        polls++;
        // A late event (earlier timestamp than the newest seen) and a new one arrive between polls.
        if (polls === 1) group.events.push(event('2', 25, 'late'), event('3', 5, 'second'));
        if (polls === 3) stop.abort();
      },
    });
    expect(printed).toBe(3);
    expect(output.slice(1).map((l) => l.split(' ').at(-1))).toEqual(['first', 'late', 'second']);
    expect(fake.inputs('FilterLogEvents').every((i) => i.filterPattern === 'ERROR')).toBe(true);
  });

  it('says to deploy first when the function has no log group', async () => {
    const failure = (await run(['--no-follow']).catch((e: unknown) => e)) as DeployError;
    expect(failure).toBeInstanceOf(DeployError);
    expect(failure.message).toBe(`logs: no log group ${GROUP}`);
  });

  it('refuses a --since it cannot read', async () => {
    await expect(run(['--since', 'yesterday', '--no-follow'])).rejects.toThrow(
      '--since "yesterday" is not a duration',
    );
  });
});
