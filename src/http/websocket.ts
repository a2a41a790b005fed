import type http from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { Api } from './create-api.js';

export interface GraphqlWsOptions {
  /** The path of the WebSocket endpoint. Default: `/graphql`, beside SSE and plain HTTP. */
  path?: string;
  logger: Logger;
  /** Interval of the ping frames that keep idle connections open, in milliseconds. Default: 12000. */
  keepAliveMs?: number;
}

export interface GraphqlWsServer {
  /** Close every connection with code 1001 (going away), so clients reconnect to another replica. */
  close(): Promise<void>;
}

/** Credential and locale headers that a client may send as graphql-ws connection parameters. */
const CONNECTION_PARAM_HEADERS = ['authorization', 'x-user-id', 'x-service-token', 'accept-language', 'x-request-id'];

type OperationResult = ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;

interface EnvelopedOperations {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

/**
 * Serve GraphQL over WebSocket (the graphql-ws protocol) on the API's HTTP server. Each operation
 * runs through the same yoga plugins and context as over HTTP: the context is built from a
 * Request with the upgrade request's headers, overridden by the connection parameters, because
 * browsers cannot set headers on a WebSocket.
 */
export function attachGraphqlWs(server: http.Server, api: Api, options: GraphqlWsOptions): GraphqlWsServer {
  const path = options.path ?? '/graphql';
  const logger = options.logger.child({ component: 'graphql-ws' });
  const webSocketServer = new WebSocketServer({ server, path });
  webSocketServer.on('error', (error) => logger.error({ err: error }, 'The WebSocket server failed.'));

  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedOperations).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedOperations).subscribe(args),
      onSubscribe: async (context, _id, payload) => {
        const request = requestFromUpgrade(context.extra.request, context.connectionParams);
        const enveloped = api.getEnveloped({ request, params: payload, req: context.extra.request, socket: context.extra.socket });
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) {
          return errors;
        }
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          // graphql-ws hands these arguments to execute and subscribe above; the root value
          // carries yoga's enveloped functions there, as graphql-yoga's WebSocket guide does.
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } as EnvelopedOperations,
        };
        return args;
      },
      onError: (_context, id, _payload, errors) => {
        logger.warn({ operationId: id, errors: errors.map((error) => error.message) }, `A WebSocket operation ${id} failed: ${errors[0]?.message}`);
      },
    },
    webSocketServer,
    options.keepAliveMs,
  );

  return {
    async close() {
      for (const client of webSocketServer.clients) {
        client.close(1001, 'The server is shutting down.');
      }
      await disposable.dispose();
    },
  };
}

/** Build a Fetch Request with the upgrade request's URL and headers and the connection parameters. */
export function requestFromUpgrade(upgrade: http.IncomingMessage, connectionParams: Readonly<Record<string, unknown>> | undefined): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (typeof value === 'string') {
      headers.set(name, value);
    } else if (Array.isArray(value)) {
      headers.set(name, value.join(', '));
    }
  }
  for (const [name, value] of Object.entries(connectionParams ?? {})) {
    const header = name.toLowerCase();
    if (CONNECTION_PARAM_HEADERS.includes(header) && typeof value === 'string') {
      headers.set(header, value);
    }
  }
  let url: URL;
  try {
    url = new URL(upgrade.url ?? '/', `http://${headers.get('host') ?? '127.0.0.1'}`);
  } catch {
    // A malformed Host header must not stop the operation: the URL only serves logging.
    url = new URL(upgrade.url ?? '/', 'http://127.0.0.1');
  }
  return new Request(url, { headers });
}
