import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/**
 * What the proxy does to the next requests:
 * - `pass`: forward to the upstream unchanged;
 * - `hold`: keep requests waiting, unforwarded, until the mode changes; then they are handled under
 *   the new mode, all at once (to line up a race);
 * - `reset`: reset the TCP connection before anything reaches the upstream (every connection at
 *   accept; with `methods`, the connection a matching request arrives on);
 * - `refuse`: stop listening, so connections are refused (ECONNREFUSED) until the mode changes;
 * - `stall`: hold the request without forwarding it for `delayMs`, then drop the connection
 *   (a delay past the client's timeout; nothing reaches the upstream);
 * - `drop-response`: forward the request, then cut the connection mid-response: after the head
 *   and half the body when there is a body, before the head when there is none (a put's answer).
 *   The upstream DID process the request: a put may have landed;
 * - `error-500` / `error-503`: answer an S3-style XML error without forwarding.
 */
export type FaultMode =
  | 'pass'
  | 'hold'
  | 'reset'
  | 'refuse'
  | 'stall'
  | 'drop-response'
  | 'error-500'
  | 'error-503';

export interface FaultRule {
  mode: FaultMode;
  /** Only requests with these methods are faulted (connection-level modes apply to all). Default: all. */
  methods?: string[];
  /** `stall` holds a request this long before dropping it (default 60 s: past any client timeout). */
  delayMs?: number;
  /** Another rule for the requests this one does not apply to (e.g. drop PUT answers and fail HEADs). */
  otherwise?: FaultRule;
}

export interface ProxyCounts {
  /** Requests seen, by method (faulted ones included). */
  requests: Record<string, number>;
  /** Requests forwarded to the upstream, by method. */
  forwarded: Record<string, number>;
  /** Upstream answers, by `METHOD status`, e.g. `PUT 200`, `GET 304`, `PUT 412`. */
  answers: Record<string, number>;
  /** Requests the proxy faulted, by mode. */
  faulted: Record<string, number>;
  /** Connections reset at accept. */
  resets: number;
  /** Bodies of the requests whose answers `drop-response` cut (for a put: what may have landed). */
  dropped: { method: string; body: Buffer }[];
  /** Most forwarded requests in flight at once (requests a client sent in parallel overlap here). */
  maxInFlight: number;
}

/**
 * A fault-injecting HTTP proxy on loopback in front of an S3 endpoint, switchable at run time.
 * Requests are forwarded with their headers (Host included) byte for byte, so SigV4 signatures stay
 * valid. Counts every request by method and every upstream answer by status, which is how the tests
 * tell whether a request ever reached S3.
 */
export class FaultProxy {
  readonly upstream: URL;
  private rule: FaultRule = { mode: 'pass' };
  private readonly http: http.Server;
  private tcp: net.Server;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private held: { req: http.IncomingMessage; res: http.ServerResponse }[] = [];
  private _port = 0;
  private inFlight = 0;
  counts: ProxyCounts = emptyCounts();
  /**
   * A fixed delay added to every forwarded request each way (before it is sent on, and before its
   * answer is passed back): a far-away S3 on loopback. 0 by default.
   */
  latencyMs: number;

  constructor(upstream: string, opts: { latencyMs?: number } = {}) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.upstream = new URL(upstream);
    this.http = http.createServer((req, res) => this.handle(req, res));
    this.http.keepAliveTimeout = 5_000;
    this.tcp = this.createListener();
  }

  /** The endpoint to give the client, e.g. http://127.0.0.1:40123. */
  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  /** Listens on a free loopback port (or `port`, to come back on the same one). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, '127.0.0.1', () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
    this._port = (this.tcp.address() as AddressInfo).port;
    return this;
  }

  /** Switches the fault for every request from now on; `refuse` closes the port, leaving it reopens it. */
  async set(rule: FaultRule | FaultMode): Promise<void> {
    const next = typeof rule === 'string' ? { mode: rule } : rule;
    const wasRefusing = this.rule.mode === 'refuse';
    this.rule = next;
    if (next.mode === 'refuse' && !wasRefusing) {
      await new Promise<void>((r) => this.tcp.close(() => r()));
      this.destroyConnections();
    } else if (next.mode !== 'refuse' && wasRefusing) {
      this.tcp = this.createListener();
      await this.start(this._port);
    }
    if (next.mode === 'reset' && !next.methods) this.destroyConnections();
    if (next.mode !== 'hold') {
      const held = this.held;
      this.held = [];
      for (const h of held) this.dispatch(h.req, h.res);
    }
  }

  /** How many requests `hold` is keeping waiting. */
  get holding(): number {
    return this.held.length;
  }

  /** Returns the counts so far and starts new ones. */
  takeCounts(): ProxyCounts {
    const c = this.counts;
    this.counts = emptyCounts();
    return c;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.destroyConnections();
    this.agent.destroy();
    await new Promise<void>((r) => (this.tcp.listening ? this.tcp.close(() => r()) : r()));
  }

  private createListener(): net.Server {
    return net.createServer((socket) => {
      // With a method filter, `reset` acts per request instead (see dispatch).
      if (this.rule.mode === 'reset' && !this.rule.methods) {
        this.counts.resets++;
        socket.resetAndDestroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      this.http.emit('connection', socket);
    });
  }

  private destroyConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    bump(this.counts.requests, req.method ?? 'GET');
    this.dispatch(req, res);
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    let rule: FaultRule | undefined = this.rule;
    while (rule?.methods && !rule.methods.includes(method)) rule = rule.otherwise;
    rule ??= { mode: 'pass' };
    const mode: FaultMode = rule.mode;
    if (mode === 'hold') {
      this.held.push({ req, res });
      return;
    }
    if (mode !== 'pass' && mode !== 'drop-response') bump(this.counts.faulted, mode);
    switch (mode) {
      case 'reset':
      case 'refuse':
        // The connection was accepted before the switch: drop it without an answer.
        req.socket.resetAndDestroy();
        return;
      case 'stall': {
        req.resume();
        const t = setTimeout(() => {
          this.timers.delete(t);
          req.socket.destroy();
        }, rule.delayMs ?? 60_000);
        this.timers.add(t);
        req.socket.once('close', () => {
          clearTimeout(t);
          this.timers.delete(t);
        });
        return;
      }
      case 'error-500':
      case 'error-503': {
        req.resume();
        const status = mode === 'error-500' ? 500 : 503;
        const code = status === 500 ? 'InternalError' : 'ServiceUnavailable';
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the fault proxy</Message></Error>`;
        req.once('end', () => {
          res.writeHead(status, {
            'Content-Type': 'application/xml',
            'Content-Length': Buffer.byteLength(body),
          });
          res.end(method === 'HEAD' ? undefined : body);
        });
        return;
      }
      default:
        this.forward(req, res, method, mode === 'drop-response');
    }
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, method: string, drop: boolean): void {
    this.inFlight++;
    this.counts.maxInFlight = Math.max(this.counts.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    if (this.latencyMs > 0) {
      req.pause();
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.send(req, res, method, drop);
      }, this.latencyMs);
      this.timers.add(t);
      return;
    }
    this.send(req, res, method, drop);
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, method: string, drop: boolean): void {
    bump(this.counts.forwarded, method);
    const up = http.request({
      host: this.upstream.hostname,
      port: this.upstream.port || 80,
      method,
      path: req.url,
      headers: req.headers,
      agent: this.agent,
    });
    up.on('response', (upRes) => {
      bump(this.counts.answers, `${method} ${upRes.statusCode}`);
      if (drop) {
        bump(this.counts.faulted, 'drop-response');
        this.dropMidResponse(req, res, upRes);
        return;
      }
      const answer = () => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      };
      if (this.latencyMs > 0) {
        upRes.pause();
        const t = setTimeout(() => {
          this.timers.delete(t);
          answer();
        }, this.latencyMs);
        this.timers.add(t);
      } else answer();
    });
    up.on('error', () => req.socket.destroy());
    if (drop) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.once('end', () => this.counts.dropped.push({ method, body: Buffer.concat(chunks) }));
    }
    req.pipe(up);
  }

  private dropMidResponse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    upRes: http.IncomingMessage,
  ): void {
    const chunks: Buffer[] = [];
    upRes.on('data', (c: Buffer) => chunks.push(c));
    upRes.once('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > 1) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.write(body.subarray(0, body.length >> 1));
      }
      // Give the partial answer a moment to leave, then cut.
      setTimeout(() => req.socket.destroy(), 20);
    });
  }
}

function emptyCounts(): ProxyCounts {
  return { requests: {}, forwarded: {}, answers: {}, faulted: {}, resets: 0, dropped: [], maxInFlight: 0 };
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

/** Sum of `answers` entries matching a method and a status predicate, e.g. successful PUTs. */
export function countAnswers(c: ProxyCounts, method: string, ok: (status: number) => boolean): number {
  let n = 0;
  for (const [k, v] of Object.entries(c.answers)) {
    const [m, s] = k.split(' ');
    if (m === method && ok(Number(s))) n += v;
  }
  return n;
}
