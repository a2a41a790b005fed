import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PartnerErrorKind } from '../integrations/http.js';
import type { Logger } from '../logger.js';
import { readDatabaseSnapshot, type DatabaseSnapshot } from './database-snapshot.js';

/** One partner HTTP attempt, as PartnerHttpClient's `onAttempt` reports it. */
export interface PartnerAttempt {
  partner: string;
  operation: string;
  durationMs: number;
  outcome: 'ok' | PartnerErrorKind;
}

export interface MetricsOptions {
  logger: Logger;
  /** The pool the database gauges are read through. Without it those gauges are absent. */
  pool?: pg.Pool;
  /** Minutes after which an application in a pipeline state counts as stuck. Default: 30. */
  stuckAfterMinutes?: number;
  /**
   * How long one database snapshot serves scrapes, in milliseconds, so several scrapers at once
   * cost one set of queries. Default: 5000.
   */
  snapshotMaxAgeMs?: number;
  /** Whether to add prom-client's process and Node.js metrics. Default: true. */
  defaultMetrics?: boolean;
  /** Reports whether the pub/sub connection LISTENs now; omitted in processes without one. */
  pubSubListening?: () => boolean;
}

/**
 * The Prometheus metrics of one process. Counters and histograms count this process only, so
 * dashboards sum them across replicas. The database gauges describe the whole service and read
 * the same in every replica, so dashboards take max() of them, not sum().
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly stageDuration: Histogram<'stage' | 'outcome'>;
  private readonly partnerDuration: Histogram<'partner' | 'operation' | 'outcome'>;
  private readonly partnerErrors: Counter<'partner' | 'operation' | 'kind'>;
  private readonly webhookRejections: Counter<'source' | 'reason'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly activeSubscriptions: Gauge;
  private snapshot: { promise: Promise<DatabaseSnapshot | undefined>; takenAt: number } | undefined;
  private databaseFailing = false;

  constructor(private readonly options: MetricsOptions) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }

    this.stageDuration = new Histogram({
      name: 'auction_stage_duration_seconds',
      help: 'Duration of pipeline stage jobs, by stage and outcome (ok, error).',
      labelNames: ['stage', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.partnerDuration = new Histogram({
      name: 'auction_partner_request_duration_seconds',
      help: 'Duration of each HTTP attempt to a partner, retries counted separately, by outcome (ok, timeout, unavailable, rejected, invalid_response).',
      labelNames: ['partner', 'operation', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.partnerErrors = new Counter({
      name: 'auction_partner_errors_total',
      help: 'Failed HTTP attempts to partners, by kind of failure.',
      labelNames: ['partner', 'operation', 'kind'],
      registers,
    });
    this.webhookRejections = new Counter({
      name: 'auction_webhook_rejections_total',
      help: 'Webhook requests rejected before any work, by source and reason (bad signature, stale timestamp, unknown application...).',
      labelNames: ['source', 'reason'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'auction_http_request_duration_seconds',
      help: 'Time until the response headers of HTTP requests, by method, route and status. For subscriptions over SSE this is the time to the start of the stream.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.activeSubscriptions = new Gauge({
      name: 'auction_subscriptions_active',
      help: 'Open applicationUpdated subscriptions in this process.',
      registers,
    });
    if (options.pubSubListening) {
      const listening = options.pubSubListening;
      new Gauge({
        name: 'auction_pubsub_listening',
        help: '1 while the LISTEN connection of the pub/sub is up, 0 while it reconnects.',
        registers,
        collect() {
          this.set(listening() ? 1 : 0);
        },
      });
    }
    if (options.pool) {
      this.registerDatabaseGauges();
    }
  }

  /** Record one run of a pipeline stage; tasks call this with their identifier. */
  observeStage(stage: string, seconds: number, outcome: 'ok' | 'error' = 'ok'): void {
    this.stageDuration.observe({ stage, outcome }, seconds);
  }

  /** Record one partner HTTP attempt. Pass this as PartnerHttpClient's `onAttempt`. */
  readonly observePartnerAttempt = (attempt: PartnerAttempt): void => {
    this.partnerDuration.observe({ partner: attempt.partner, operation: attempt.operation, outcome: attempt.outcome }, attempt.durationMs / 1000);
    if (attempt.outcome !== 'ok') {
      this.partnerErrors.inc({ partner: attempt.partner, operation: attempt.operation, kind: attempt.outcome });
    }
  };

  /** Count a rejected webhook request, such as `countWebhookRejection('cme', 'bad_signature')`. */
  countWebhookRejection(source: string, reason: string): void {
    this.webhookRejections.inc({ source, reason });
  }

  observeHttpRequest(request: { method: string; route: string; status: number; seconds: number }): void {
    this.httpDuration.observe({ method: request.method, route: request.route, status: String(request.status) }, request.seconds);
  }

  /** Count an opened subscription; call the returned function once when it closes. */
  trackSubscription(): () => void {
    this.activeSubscriptions.inc();
    let closed = false;
    return () => {
      if (!closed) {
        closed = true;
        this.activeSubscriptions.dec();
      }
    };
  }

  /** Render the exposition text for a scrape. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private registerDatabaseGauges(): void {
    const registers = [this.registry];
    const snapshot = () => this.readSnapshot();

    new Gauge({
      name: 'auction_database_up',
      help: '1 when the last read of the database gauges succeeded, else 0.',
      registers,
      async collect() {
        this.set((await snapshot()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'auction_applications_active',
      help: 'Active applications (not REJECTED, WITHDRAWN or FINISHED), by end-to-end status and pipeline state.',
      labelNames: ['status', 'application_status'],
      registers,
      async collect() {
        this.reset();
        for (const row of (await snapshot())?.activeApplications ?? []) {
          this.set({ status: row.status, application_status: row.applicationStatus }, row.count);
        }
      },
    });
    new Gauge({
      name: 'auction_applications_closed_24h',
      help: 'Applications that became REJECTED, WITHDRAWN or FINISHED in the last 24 hours, by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        for (const row of (await snapshot())?.closedApplications ?? []) {
          this.set({ status: row.status }, row.count);
        }
      },
    });
    new Gauge({
      name: 'auction_applications_stuck',
      help: 'Applications with no change for longer than STUCK_AFTER_MINUTES in a stage the pipeline drives, by stage (the sweep rule).',
      labelNames: ['stage'],
      registers,
      async collect() {
        this.reset();
        for (const row of (await snapshot())?.stuckApplications ?? []) {
          this.set({ stage: row.stage }, row.count);
        }
      },
    });
    new Gauge({
      name: 'auction_outbox_unpublished',
      help: 'Outbox events not yet published to Kafka.',
      registers,
      async collect() {
        const taken = await snapshot();
        if (taken) {
          this.set(taken.outboxUnpublished);
        }
      },
    });
    new Gauge({
      name: 'auction_outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest outbox event not yet published to Kafka; 0 when none waits.',
      registers,
      async collect() {
        const taken = await snapshot();
        if (taken) {
          this.set(taken.outboxOldestUnpublishedAgeSeconds);
        }
      },
    });
    new Gauge({
      name: 'auction_jobs',
      help: 'graphile-worker jobs by task and state (ready, scheduled, running, failed).',
      labelNames: ['task', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const row of (await snapshot())?.jobs ?? []) {
          this.set({ task: row.task, state: row.state }, row.count);
        }
      },
    });
    new Gauge({
      name: 'auction_jobs_oldest_ready_age_seconds',
      help: 'How long the oldest job that may run now has waited for a worker; 0 when none waits.',
      registers,
      async collect() {
        const taken = await snapshot();
        if (taken) {
          this.set(taken.oldestReadyJobAgeSeconds);
        }
      },
    });
  }

  /**
   * Return the database snapshot, reading it at most once per `snapshotMaxAgeMs`. A failed read
   * is logged once per run of failures and yields undefined, so the rest of the scrape still works.
   */
  private readSnapshot(): Promise<DatabaseSnapshot | undefined> {
    const maxAgeMs = this.options.snapshotMaxAgeMs ?? 5000;
    if (this.snapshot && performance.now() - this.snapshot.takenAt < maxAgeMs) {
      return this.snapshot.promise;
    }
    const promise = readDatabaseSnapshot(this.options.pool!, { stuckAfterMinutes: this.options.stuckAfterMinutes ?? 30 }).then(
      (taken) => {
        if (this.databaseFailing) {
          this.options.logger.info('Reading the database metrics works again.');
        }
        this.databaseFailing = false;
        return taken;
      },
      (error: unknown) => {
        if (!this.databaseFailing) {
          this.options.logger.warn({ err: error }, 'Reading the database metrics failed; their gauges are empty until it works again.');
        }
        this.databaseFailing = true;
        return undefined;
      },
    );
    this.snapshot = { promise, takenAt: performance.now() };
    return promise;
  }
}
