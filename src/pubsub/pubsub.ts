import { createPubSub, type PubSub } from 'graphql-yoga';
import { PgEventTarget, type PgEventTargetOptions } from './pg-event-target.js';

/**
 * The signal that the database triggers send for each committed history entry or deleted application.
 * Ids are strings because JSON has no 64-bit integers.
 */
export interface ApplicationSignal {
  applicationId: string;
  historyId?: string;
  status?: string;
  deleted?: boolean;
}

/**
 * The topics of the service's pub/sub. `application:<id>` is published by the database triggers
 * on every change of that application. A `null` detail means that the listening connection was
 * re-established and events may have been missed, so a subscriber re-reads what it follows.
 */
export type PubSubTopics = {
  application: [applicationId: string, signal: ApplicationSignal | null];
};

export interface ServicePubSub extends PubSub<PubSubTopics> {
  /** Aborted when the process shuts down, so that open subscriptions end and their clients reconnect elsewhere. */
  readonly closing: AbortSignal;
}

export interface PubSubService {
  pubSub: ServicePubSub;
  eventTarget: PgEventTarget;
  /**
   * End every open subscription, so that a draining HTTP server is not held open by SSE streams
   * and WebSocket clients reconnect to another replica. Listening goes on until close().
   */
  endSubscriptions(): void;
  /** End the open subscriptions, then stop listening. */
  close(): Promise<void>;
}

/**
 * Start the pub/sub of one process: graphql-yoga's createPubSub over PostgreSQL LISTEN/NOTIFY.
 * No `repeaterBuffer` is passed, because createPubSub (graphql-yoga 5.24) gives the same buffer
 * object to every subscription. Without one, a subscription that leaves more than 1024 events
 * unread throws inside the event target, which Node reports as an uncaught exception, so every
 * subscriber must read its events as they come (see application-updates.ts).
 */
export async function startPubSub(options: PgEventTargetOptions): Promise<PubSubService> {
  const eventTarget = new PgEventTarget(options);
  await eventTarget.start();
  const closing = new AbortController();
  const pubSub: ServicePubSub = Object.assign(createPubSub<PubSubTopics>({ eventTarget }), { closing: closing.signal });
  return {
    pubSub,
    eventTarget,
    endSubscriptions: () => closing.abort(),
    close: async () => {
      closing.abort();
      await eventTarget.close();
    },
  };
}
