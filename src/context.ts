import type { Config } from './config.js';
import type { Database } from './db/prisma.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics/metrics.js';
import type { ServicePubSub } from './pubsub/pubsub.js';
import type { CarfaxClient } from './integrations/carfax/contract.js';
import type { CmeClient } from './integrations/cme/contract.js';
import type { LotSink } from './integrations/lot-sink/contract.js';
import type { ModerationClient } from './integrations/moderation/contract.js';
import type { ReportStore } from './integrations/reports/contract.js';
import type { TradeInClient } from './integrations/trade-in/contract.js';

/** The partner services, each behind its contract. */
export interface Integrations {
  tradeIn: TradeInClient;
  moderation: ModerationClient;
  carfax: CarfaxClient;
  cme: CmeClient;
  lotSink: LotSink;
  reports: ReportStore;
}

/** The services that the API and the worker share in one process. */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  db: Database;
  integrations: Integrations;
  /** Live application updates across processes; absent where nothing subscribes or publishes. */
  pubSub?: ServicePubSub;
  /** The process's Prometheus metrics; absent in tools and tests that do not collect them. */
  metrics?: Metrics;
}
