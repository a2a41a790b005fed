import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** The subscription every live-update test runs, with the fields a seller's page would read. */
export const APPLICATION_UPDATED = /* GraphQL */ `
  subscription ($id: ID!) {
    applicationUpdated(id: $id) {
      __typename
      ... on ApplicationUpdate {
        status
        application { applicationId status applicationStatus }
        newHistory { id action status }
      }
      ... on Error { code message }
    }
  }
`;

export interface UpdateEvent {
  __typename: string;
  status?: string;
  application?: { applicationId: string; status: string; applicationStatus: string };
  newHistory?: { id: string; action: string; status: string }[];
  code?: string;
  message?: string;
}

/** A stream of `applicationUpdated` results that a test reads one by one. */
export interface UpdateStream {
  /** Resolve with the next event, or with `done` once the server ended the stream; reject after `timeoutMs`. */
  next(timeoutMs?: number): Promise<UpdateEvent | 'done'>;
  close(): void;
}

/** Subscribe over SSE, the way graphql-yoga serves subscriptions by default. */
export async function subscribeOverSse(
  fetchImpl: (input: string, init: RequestInit) => Promise<Response>,
  url: string,
  id: string,
  headers: Record<string, string>,
): Promise<UpdateStream> {
  const abort = new AbortController();
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: APPLICATION_UPDATED, variables: { id } }),
    signal: abort.signal,
  });
  if (!response.ok || !response.body) {
    throw new Error(`The SSE subscription failed with HTTP ${response.status}: ${await response.text()}`);
  }

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: (UpdateEvent | 'done')[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffer += value;
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'next' && data) {
            const result = JSON.parse(data) as { data?: { applicationUpdated: UpdateEvent }; errors?: unknown };
            if (!result.data) {
              throw new Error(`The subscription returned errors: ${JSON.stringify(result.errors)}`);
            }
            events.push(result.data.applicationUpdated);
            waiters.splice(0).forEach((wake) => wake());
          }
        }
      }
    } catch {
      // An aborted or broken stream ends like a completed one.
    }
    events.push('done');
    waiters.splice(0).forEach((wake) => wake());
  })();

  return {
    next: (timeoutMs = 10_000) => nextEvent(events, waiters, timeoutMs),
    close: () => {
      void reader.cancel().catch(() => {});
      abort.abort();
    },
  };
}

/** Subscribe over WebSocket with graphql-ws, passing credentials as connection parameters. */
export function subscribeOverWebSocket(url: string, id: string, connectionParams: Record<string, string>): UpdateStream & { client: Client } {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
  const events: (UpdateEvent | 'done')[] = [];
  const waiters: (() => void)[] = [];
  const push = (event: UpdateEvent | 'done') => {
    events.push(event);
    waiters.splice(0).forEach((wake) => wake());
  };
  const unsubscribe = client.subscribe<{ applicationUpdated: UpdateEvent }>(
    { query: APPLICATION_UPDATED, variables: { id } },
    {
      next: (result) => push(result.data?.applicationUpdated ?? { __typename: 'GraphQLErrors', message: JSON.stringify(result.errors) }),
      error: (error) => push({ __typename: 'TransportError', message: String((error as Error).message ?? (error as CloseEvent).reason ?? error) }),
      complete: () => push('done'),
    },
  );
  return {
    client,
    next: (timeoutMs = 10_000) => nextEvent(events, waiters, timeoutMs),
    close: () => {
      unsubscribe();
      void client.dispose();
    },
  };
}

/** Read events until `done` returns true or the stream ends; fail after `timeoutMs` in total. */
export async function readEvents(stream: UpdateStream, done: (events: UpdateEvent[]) => boolean, timeoutMs = 30_000): Promise<UpdateEvent[]> {
  const deadline = Date.now() + timeoutMs;
  const events: UpdateEvent[] = [];
  while (!done(events)) {
    const event = await stream.next(Math.max(deadline - Date.now(), 1)).catch((error: Error) => {
      throw new Error(`${error.message} after ${events.length} events: ${JSON.stringify(events.map(summary))}`);
    });
    if (event === 'done') {
      break;
    }
    events.push(event);
  }
  return events;
}

/** Describe an event by its history actions and statuses, for failure messages and order checks. */
export function summary(event: UpdateEvent): string {
  return event.newHistory ? event.newHistory.map((entry) => `${entry.action}:${entry.status}`).join(',') : `${event.__typename}:${event.code ?? ''}`;
}

async function nextEvent(events: (UpdateEvent | 'done')[], waiters: (() => void)[], timeoutMs: number): Promise<UpdateEvent | 'done'> {
  const deadline = Date.now() + timeoutMs;
  while (events.length === 0) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`no event arrived within ${timeoutMs} ms`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, remaining);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  const event = events[0]!;
  if (event !== 'done') {
    events.shift();
  }
  return event;
}
