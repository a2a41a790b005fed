import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { CarfaxSandbox, type CarfaxSandboxOptions } from './carfax/sandbox.js';
import { CME_WEBHOOK_PATH } from './cme/contract.js';
import { CmeSandbox, type CmeSandboxOptions } from './cme/sandbox.js';
import { LotsSandbox, TelegramSandbox } from './lot-sink/sandbox.js';
import { MODERATION_VERDICT_PATH, type DeliverVerdict } from './moderation/contract.js';
import { ModerationSandbox, type ModerationSandboxOptions } from './moderation/sandbox.js';
import { createHttpVerdictDelivery } from './moderation/verdict-delivery.js';
import type { PartnerSandbox } from './partner-sandbox.js';
import { startLocalS3, type LocalS3 } from './reports/local-s3.js';
import { TradeInSandbox, type TradeInSandboxOptions } from './trade-in/sandbox.js';

export interface StartSandboxesOptions {
  config: Config;
  logger: Logger;
  /**
   * Our API's base URL, such as `http://127.0.0.1:4000`, which receives CME webhooks and HTTP
   * verdicts. A function is called at each delivery, for an API server that gets its port later.
   */
  webhookBaseUrl: string | (() => string);
  /** Where moderation verdicts go. Default: signed POSTs to our verdict endpoint. */
  deliverVerdict?: DeliverVerdict;
  /**
   * The local S3 server's port and directory. Default: S3_LOCAL_PORT and S3_LOCAL_DIR. Tests
   * pass port 0 and a directory of their own, because application ids, and so the keys, repeat
   * across test databases. `false`, or S3_ENDPOINT set, starts none.
   */
  localS3?: { port?: number; directory?: string } | false;
  tradeIn?: TradeInSandboxOptions;
  moderation?: Omit<ModerationSandboxOptions, 'deliverVerdict'>;
  carfax?: CarfaxSandboxOptions;
  cme?: Omit<CmeSandboxOptions, 'webhookUrl' | 'secret'>;
}

/** The settings that point the service at the sandboxes; spread them over the config. */
export type SandboxUrls = Required<Pick<Config, 'TRADE_IN_URL' | 'MODERATION_URL' | 'CARFAX_URL' | 'CME_URL' | 'LOTS_URL' | 'TELEGRAM_API_URL'>> &
  Pick<Config, 'S3_ENDPOINT'>;

export interface Sandboxes {
  urls: SandboxUrls;
  tradeIn: TradeInSandbox;
  moderation: ModerationSandbox;
  carfax: CarfaxSandbox;
  cme: CmeSandbox;
  lots: LotsSandbox;
  telegram: TelegramSandbox;
  /** Absent when S3_ENDPOINT names another server or `localS3` is false. */
  s3?: LocalS3;
  /** Stop every sandbox and the local S3 server, dropping deliveries still due. */
  stop(): Promise<void>;
}

/**
 * Start every partner sandbox on a free port of 127.0.0.1, and the local S3 server, for the
 * local run, the tests and the benchmarks. If one fails to start, the ones already started stop.
 */
export async function startSandboxes(options: StartSandboxesOptions): Promise<Sandboxes> {
  const { config, logger } = options;
  const base = () => (typeof options.webhookBaseUrl === 'function' ? options.webhookBaseUrl() : options.webhookBaseUrl).replace(/\/+$/, '');
  const deliverVerdict = options.deliverVerdict ?? createHttpVerdictDelivery({ url: () => `${base()}${MODERATION_VERDICT_PATH}`, secret: config.MODERATION_VERDICT_SECRET });

  const partners = {
    tradeIn: new TradeInSandbox({ logger, ...options.tradeIn }),
    moderation: new ModerationSandbox({ logger, ...options.moderation, deliverVerdict }),
    carfax: new CarfaxSandbox({ logger, ...options.carfax }),
    cme: new CmeSandbox({ logger, ...options.cme, webhookUrl: () => `${base()}${CME_WEBHOOK_PATH}`, secret: config.CME_WEBHOOK_SECRET }),
    lots: new LotsSandbox({ logger }),
    telegram: new TelegramSandbox({ logger, botToken: config.TELEGRAM_BOT_TOKEN }),
  };
  const started: (PartnerSandbox | TradeInSandbox | LocalS3)[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((sandbox) => sandbox.close()));
    logger.info('Sandboxes stopped.');
  };

  let s3: LocalS3 | undefined;
  try {
    for (const [name, sandbox] of Object.entries(partners)) {
      await sandbox.listen(0);
      started.push(sandbox);
      logger.info({ sandbox: name, url: sandbox.url }, `Sandbox ${name} listens on ${sandbox.url}.`);
    }
    if (options.localS3 !== false && !config.S3_ENDPOINT) {
      s3 = await startLocalS3({
        directory: options.localS3?.directory ?? config.S3_LOCAL_DIR,
        port: options.localS3?.port ?? config.S3_LOCAL_PORT,
        bucket: config.S3_BUCKET,
        logger,
      });
      started.push(s3);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    ...partners,
    s3,
    urls: {
      TRADE_IN_URL: partners.tradeIn.url,
      MODERATION_URL: partners.moderation.url,
      CARFAX_URL: partners.carfax.url,
      CME_URL: partners.cme.url,
      LOTS_URL: partners.lots.url,
      TELEGRAM_API_URL: partners.telegram.url,
      S3_ENDPOINT: s3?.endpoint ?? config.S3_ENDPOINT,
    },
    stop,
  };
}
