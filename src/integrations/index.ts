import { ConfigError, type Config } from '../config.js';
import type { Integrations } from '../context.js';
import type { Logger } from '../logger.js';
import { HttpCarfaxClient } from './carfax/client.js';
import { HttpCmeClient } from './cme/client.js';
import type { PartnerHttpClientOptions } from './http.js';
import { createLotSink } from './lot-sink/client.js';
import { HttpModerationClient } from './moderation/client.js';
import { createReportStore } from './reports/client.js';
import type { PartnerClientOptions } from './response.js';
import { HttpTradeInClient } from './trade-in/client.js';

export interface CreateIntegrationsOptions {
  /** Partner URLs come from here; override them with `startSandboxes(...).urls` for local runs. */
  config: Config;
  logger: Logger;
  /** Called after every partner HTTP attempt, for metrics. */
  onAttempt?: PartnerHttpClientOptions['onAttempt'];
}

type PartnerUrlSetting = 'TRADE_IN_URL' | 'MODERATION_URL' | 'CARFAX_URL' | 'CME_URL';

/**
 * Build every partner client from the configuration. Throws ConfigError naming the first
 * partner URL that is missing, so a process without one stops at start rather than at the
 * first job that needs it.
 */
export function createIntegrations(options: CreateIntegrationsOptions): Integrations {
  const { config, logger, onAttempt } = options;
  const common = { timeoutMs: config.PARTNER_TIMEOUT_MS, retries: config.PARTNER_RETRIES, logger, onAttempt };
  const clientOptions = (setting: PartnerUrlSetting): PartnerClientOptions => ({ ...common, baseUrl: requireUrl(config, setting) });

  return {
    tradeIn: new HttpTradeInClient(clientOptions('TRADE_IN_URL')),
    moderation: new HttpModerationClient(clientOptions('MODERATION_URL')),
    carfax: new HttpCarfaxClient(clientOptions('CARFAX_URL')),
    cme: new HttpCmeClient(clientOptions('CME_URL')),
    lotSink: createLotSink(config, common),
    reports: createReportStore(config, logger),
  };
}

function requireUrl(config: Config, setting: PartnerUrlSetting): string {
  const url = config[setting];
  if (!url) {
    throw new ConfigError(`${setting} is missing: set it to the partner's base URL, or run with SANDBOXES=true to use the local sandboxes.`);
  }
  return url;
}
