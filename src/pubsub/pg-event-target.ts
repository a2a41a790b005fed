import pg from 'pg';
import type { Logger } from '../logger.js';

/** The channel that the database triggers and every process's event target share. */
export const PUBSUB_CHANNEL = 'auction_pubsub';

/** PostgreSQL rejects a NOTIFY payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7999;

export interface PgEventTargetOptions {
  /** The database URL for LISTEN. A pooler in transaction mode (PgBouncer) cannot carry LISTEN, so give a direct URL. */
  connectionString: string;
  /** The pool that sends NOTIFY for `dispatchEvent`. */
  pool: pg.Pool;
  logger: Logger;
  /** Default: `auction_pubsub`, the channel of the database triggers. */
  channel?: string;
  /** Delay before the first reconnection in milliseconds; each next one doubles. Default: 100. */
  minReconnectDelayMs?: number;
  /** Default: 5000. */
  maxReconnectDelayMs?: number;
  /**
   * How often the listening connection is checked with `SELECT 1`, in milliseconds. A connection
   * that died without closing its socket (a dropped network path) would otherwise look alive
   * while notifications stop. Default: 15000.
   */
  pingIntervalMs?: number;
  /** How long a ping may take before the connection counts as dead, in milliseconds. Default: 5000. */
  pingTimeoutMs?: number;
}

interface Envelope {
  topic: string;
  detail: unknown;
}

/**
 * An EventTarget whose events travel through PostgreSQL LISTEN/NOTIFY, so an event dispatched
 * (or NOTIFYed by a trigger) in any process reaches the listeners in every process. It is the
 * `eventTarget` of graphql-yoga's `createPubSub`.
 *
 * One dedicated connection LISTENs on one channel, and each notification carries its topic, so
 * the number of subscriptions costs no extra connections. Events dispatched here are delivered
 * to local listeners only when they come back from the database, so every process receives them
 * in the same order.
 *
 * When the listening connection is lost, notifications sent meanwhile are gone: PostgreSQL keeps
 * none for a session that is not listening. After it listens again, each topic with listeners
 * receives one event whose `detail` is `null`, which signals subscribers to re-read the state they
 * follow.
 */
export class PgEventTarget extends EventTarget {
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly listenerCounts = new Map<string, number>();
  private client: pg.Client | undefined;
  private closed = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private pendingPublishes = new Set<Promise<unknown>>();

  constructor(private readonly options: PgEventTargetOptions) {
    super();
    this.channel = options.channel ?? PUBSUB_CHANNEL;
    this.logger = options.logger;
  }

  /** Whether the listening connection is open and LISTENs now. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /**
   * Connect and LISTEN. Throws when the first connection fails, so a process with a wrong
   * database URL stops at start; later losses reconnect on their own.
   */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Stop listening, wait for the NOTIFYs already sent, and close the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    await Promise.allSettled([...this.pendingPublishes]);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  override addEventListener(type: string, callback: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void {
    super.addEventListener(type, callback, options);
    if (callback) {
      this.listenerCounts.set(type, (this.listenerCounts.get(type) ?? 0) + 1);
    }
  }

  override removeEventListener(type: string, callback: EventListenerOrEventListenerObject | null, options?: EventListenerOptions | boolean): void {
    super.removeEventListener(type, callback, options);
    const count = (this.listenerCounts.get(type) ?? 0) - 1;
    if (count > 0) {
      this.listenerCounts.set(type, count);
    } else {
      this.listenerCounts.delete(type);
    }
  }

  /**
   * Send the event to every process through NOTIFY. The local listeners receive it when the
   * notification comes back. Throws a RangeError when the payload exceeds NOTIFY's limit, because
   * PostgreSQL would reject it anyway, later and out of the caller's sight.
   */
  override dispatchEvent(event: Event): boolean {
    const detail = (event as CustomEvent).detail ?? null;
    const payload = JSON.stringify({ topic: event.type, detail } satisfies Envelope, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_PAYLOAD_BYTES) {
      throw new RangeError(`The event for topic ${event.type} is ${bytes} bytes as JSON, above the NOTIFY limit of ${MAX_PAYLOAD_BYTES}: publish ids and let subscribers read the rest.`);
    }

    const publish = this.options.pool
      .query('SELECT pg_notify($1, $2)', [this.channel, payload])
      .catch((error: unknown) => {
        this.logger.error({ err: error, topic: event.type }, `Publishing an event on topic ${event.type} failed; its subscribers will not receive it.`);
      })
      .finally(() => this.pendingPublishes.delete(publish));
    this.pendingPublishes.add(publish);
    return true;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, keepAlive: true, application_name: 'auction-applications pubsub' });
    // Without an 'error' listener a lost connection would crash the process.
    client.on('error', (error) => this.handleLoss(client, error));
    client.on('end', () => this.handleLoss(client, new Error('the connection was closed')));
    client.on('notification', (message) => {
      if (message.channel === this.channel) {
        this.receive(message.payload);
      }
    });

    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (error) {
      client.removeAllListeners('end');
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw error;
    }

    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.reconnectAttempt = 0;
    this.pingTimer = setInterval(() => void this.ping(client), this.options.pingIntervalMs ?? 15_000);
    this.pingTimer.unref();
  }

  private async ping(client: pg.Client): Promise<void> {
    const timeoutMs = this.options.pingTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the ping got no response within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (error) {
      this.handleLoss(client, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private handleLoss(client: pg.Client, error: unknown): void {
    if (this.client !== client) {
      return;
    }
    this.client = undefined;
    clearInterval(this.pingTimer);
    client.removeAllListeners('end');
    client.removeAllListeners('notification');
    // A half-open socket may never finish ending; it is abandoned, with a no-op error listener
    // so a late error from it cannot crash the process.
    client.removeAllListeners('error');
    client.on('error', () => {});
    void client.end().catch(() => {});
    if (this.closed) {
      return;
    }
    this.logger.warn({ err: error, channel: this.channel }, `The LISTEN connection on channel ${this.channel} was lost; reconnecting.`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const minDelay = this.options.minReconnectDelayMs ?? 100;
    const maxDelay = this.options.maxReconnectDelayMs ?? 5000;
    const delay = Math.min(maxDelay, minDelay * 2 ** this.reconnectAttempt);
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.closed) {
            return;
          }
          this.logger.info({ channel: this.channel }, `The LISTEN connection on channel ${this.channel} is back; subscribers re-read their state.`);
          this.resync();
        },
        (error: unknown) => {
          this.logger.warn({ err: error, channel: this.channel, attempt: this.reconnectAttempt }, `Reconnecting to LISTEN on channel ${this.channel} failed (attempt ${this.reconnectAttempt}); retrying in up to ${maxDelay} ms.`);
          if (!this.closed) {
            this.scheduleReconnect();
          }
        },
      );
    }, delay);
  }

  private resync(): void {
    for (const topic of this.listenerCounts.keys()) {
      super.dispatchEvent(new CustomEvent(topic, { detail: null }));
    }
  }

  private receive(payload: string | undefined): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload ?? '') as Envelope;
    } catch (error) {
      this.logger.warn({ err: error, channel: this.channel, payload: payload?.slice(0, 200) }, `A notification on channel ${this.channel} is not JSON; it was ignored.`);
      return;
    }
    if (typeof envelope?.topic !== 'string') {
      this.logger.warn({ channel: this.channel, payload: payload?.slice(0, 200) }, `A notification on channel ${this.channel} has no topic; it was ignored.`);
      return;
    }
    if (this.listenerCounts.has(envelope.topic)) {
      super.dispatchEvent(new CustomEvent(envelope.topic, { detail: envelope.detail ?? null }));
    }
  }
}
