/**
 * The bench's far-away S3, in a process of its own: a FaultProxy adding a fixed latency each way,
 * forked by bench/fleet.ts. Run apart so that proxying every S3 request of a whole fleet does not
 * compete for the event loop of the process that drives the load and measures it.
 * IPC: sends {url} once listening; answers {cmd: 'counts'} with the counts since the last call.
 */
import { FaultProxy } from '../tests/support/fault-proxy.ts';

const [upstream = '', latency = '0'] = process.argv.slice(2);
const proxy = await new FaultProxy(upstream, { latencyMs: Number(latency) }).start();
process.send?.({ url: proxy.url });
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'counts') process.send?.({ counts: proxy.takeCounts() });
});
process.on('disconnect', () => {
  void proxy.close().then(() => process.exit(0));
});
