import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  /** The status the receiver responded with. */
  status: number;
}

/**
 * A stand-in for our own API in partner tests: records every request with its raw body and
 * responds with the next status of `statuses`, then 200 once they run out.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** Statuses of the next responses, in order. */
  statuses: number[] = [];
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = this.statuses.shift() ?? 200;
      this.requests.push({ method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, rawBody: Buffer.concat(chunks), status });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status }));
    });
  });
  private baseUrl = '';

  get url(): string {
    return this.baseUrl;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  /** Parse the JSON bodies of every request received, in order. */
  json<T>(): T[] {
    return this.requests.map((request) => JSON.parse(request.rawBody.toString('utf8')) as T);
  }

  /** Parse the JSON bodies of the requests accepted with a 2xx status, in order. */
  accepted<T>(): T[] {
    return this.requests.filter((request) => request.status < 300).map((request) => JSON.parse(request.rawBody.toString('utf8')) as T);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
