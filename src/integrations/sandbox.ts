import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';

/**
 * The base of every partner sandbox: a small HTTP server of ours that plays the partner's side
 * over the real wire, for tests, benchmarks and the local run. Faults are injected before the
 * partner logic runs: a fixed latency, a random failure rate, a number of next requests that
 * fail, or requests that hang until the client gives up.
 */

export interface SandboxFaults {
  /** Delay before every response, in milliseconds. Default: 0. */
  latencyMs: number;
  /** Share of requests, from 0 to 1, answered with `failureStatus`. Default: 0. */
  failureRate: number;
  /** Status of an injected failure. Default: 500. */
  failureStatus: number;
  /** The next this-many requests fail with `failureStatus`, then the partner recovers. Default: 0. */
  failNext: number;
  /** The next this-many requests never get a response, as from a partner that hangs. Default: 0. */
  hangNext: number;
}

export interface SandboxRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
}

export interface SandboxReply {
  status?: number;
  json?: unknown;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

export type SandboxHandler = (request: SandboxRequest) => SandboxReply | Promise<SandboxReply>;

export interface SandboxCall {
  method: string;
  path: string;
  status: number;
  at: Date;
}

const DEFAULT_FAULTS: SandboxFaults = { latencyMs: 0, failureRate: 0, failureStatus: 500, failNext: 0, hangNext: 0 };

export class SandboxServer {
  readonly faults: SandboxFaults;
  /** Every request served, newest last, for tests that count calls. */
  readonly calls: SandboxCall[] = [];
  private readonly server: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();
  private baseUrl: string | undefined;

  constructor(
    readonly name: string,
    private readonly handler: SandboxHandler,
    options: { faults?: Partial<SandboxFaults>; logger?: Logger } = {},
  ) {
    this.faults = { ...DEFAULT_FAULTS, ...options.faults };
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        options.logger?.error({ sandbox: name, err: error }, `Sandbox ${name} failed to answer ${request.method} ${request.url}.`);
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'application/json' });
        }
        response.end(JSON.stringify({ error: 'sandbox_error', message: String(error) }));
      });
    });
  }

  /** The base URL, such as `http://127.0.0.1:41234`, once listening. */
  get url(): string {
    if (!this.baseUrl) {
      throw new Error(`Sandbox ${this.name} is not listening yet; call listen() first.`);
    }
    return this.baseUrl;
  }

  /** Start listening on 127.0.0.1. Port 0 picks a free port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${address.port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) {
      response.destroy();
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Change the injected faults; fields left out keep their values. */
  setFaults(faults: Partial<SandboxFaults>): void {
    Object.assign(this.faults, faults);
  }

  resetFaults(): void {
    Object.assign(this.faults, DEFAULT_FAULTS);
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) {
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://sandbox');

    // Control routes change the faults of a running sandbox, for demos and benchmarks.
    if (url.pathname === '/__sandbox/faults') {
      if (request.method === 'POST') {
        this.setFaults(JSON.parse(body.toString() || '{}') as Partial<SandboxFaults>);
      }
      return this.send(response, request, { json: this.faults });
    }

    if (this.faults.hangNext > 0) {
      this.faults.hangNext -= 1;
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    if (this.faults.latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));
    }
    if (this.faults.failNext > 0 || (this.faults.failureRate > 0 && Math.random() < this.faults.failureRate)) {
      this.faults.failNext = Math.max(0, this.faults.failNext - 1);
      return this.send(response, request, { status: this.faults.failureStatus, json: { error: 'injected_failure', sandbox: this.name } });
    }

    const reply = await this.handler({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body,
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    });
    this.send(response, request, reply);
  }

  private send(response: http.ServerResponse, request: http.IncomingMessage, reply: SandboxReply): void {
    const status = reply.status ?? 200;
    this.calls.push({ method: request.method ?? 'GET', path: (request.url ?? '/').split('?')[0]!, status, at: new Date() });
    if (reply.json !== undefined) {
      response.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
      response.end(JSON.stringify(reply.json));
      return;
    }
    response.writeHead(status, reply.headers);
    response.end(reply.body ?? '');
  }
}

/** Build the 404 reply for a route the sandbox does not serve. */
export function notFound(request: SandboxRequest): SandboxReply {
  return { status: 404, json: { error: 'not_found', message: `No route for ${request.method} ${request.path}.` } };
}
