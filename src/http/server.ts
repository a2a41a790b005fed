import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from './create-api.js';

export interface ApiServer {
  server: http.Server;
  /** Such as `http://127.0.0.1:4000`. */
  url: string;
  /** Stop accepting connections and resolve once in-flight requests have finished. */
  close(): Promise<void>;
}

/** Serve the API over node's HTTP server; port 0 picks a free port. */
export async function startApiServer(api: Api, options: { port: number; host: string }): Promise<ApiServer> {
  const server = http.createServer(api);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Idle keep-alive connections would hold close() open until they time out (5 s by
        // default). Connections that become idle later, such as an SSE stream that ended during
        // the shutdown, would too, so idle connections are closed until the server is.
        const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
        server.close((error) => {
          clearInterval(closeIdle);
          return error ? reject(error) : resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
