import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { loadConfig, type Config } from '../../src/config.js';
import type { ServiceContext } from '../../src/context.js';
import type { AuctionApplication } from '../../src/db/prisma.js';
import { useWebhooks } from '../../src/http/use-webhooks.js';
import { CarfaxSandbox, type CarfaxSandboxOptions } from '../../src/integrations/carfax/sandbox.js';
import { CME_WEBHOOK_PATH } from '../../src/integrations/cme/contract.js';
import { CmeSandbox, type CmeSandboxOptions } from '../../src/integrations/cme/sandbox.js';
import { createIntegrations } from '../../src/integrations/index.js';
import { LotsSandbox } from '../../src/integrations/lot-sink/sandbox.js';
import { MODERATION_VERDICT_PATH, type DeliverVerdict } from '../../src/integrations/moderation/contract.js';
import { ModerationSandbox, type ModerationSandboxOptions } from '../../src/integrations/moderation/sandbox.js';
import { createHttpVerdictDelivery } from '../../src/integrations/moderation/verdict-delivery.js';
import { startLocalS3, type LocalS3 } from '../../src/integrations/reports/local-s3.js';
import { addJobInTransaction } from '../../src/jobs/add-job.js';
import { createLogger } from '../../src/logger.js';
import { TASK } from '../../src/pipeline/jobs.js';
import { startWorker, type PipelineWorker, type StartWorkerOptions } from '../../src/worker.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface PipelineHarnessOptions {
  moderation?: Partial<Omit<ModerationSandboxOptions, 'deliverVerdict'>>;
  /** Where the moderation sandbox sends verdicts. Default: signed POSTs to the harness's verdict endpoint. */
  deliverVerdict?: DeliverVerdict;
  carfax?: CarfaxSandboxOptions;
  cme?: Partial<Omit<CmeSandboxOptions, 'webhookUrl' | 'secret'>>;
  /** Settings on top of the harness's own. */
  env?: Record<string, string>;
}

/**
 * Everything the pipeline talks to, for real: a fresh database, s3rver, the partner sandboxes
 * over HTTP, and an HTTP server with the webhook plugin that the CME and moderation sandboxes
 * call back. The worker is started by the test, so it can be stopped, killed and restarted.
 */
export interface PipelineHarness {
  db: TestDatabase;
  config: Config;
  ctx: ServiceContext;
  apiUrl: string;
  moderation: ModerationSandbox;
  carfax: CarfaxSandbox;
  cme: CmeSandbox;
  lots: LotsSandbox;
  s3: LocalS3;
  /** The settings a child process needs to reach the same database, sandboxes and S3. */
  env: Record<string, string>;
  startWorker(options?: StartWorkerOptions): Promise<PipelineWorker>;
  /** Queue the crontab's CARFAX scan now, instead of waiting for the next minute. */
  pollCarfaxNow(): Promise<void>;
  /** Wait until an application matches, polling CARFAX along the way unless `pollCarfax` is false. */
  waitForApplication(
    id: bigint,
    predicate: (application: AuctionApplication) => boolean,
    options?: { timeoutMs?: number; pollCarfax?: boolean },
  ): Promise<AuctionApplication>;
  /** Wait until no job is due now or running, so every stage queued so far has run. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const CME_SECRET = 'test-cme-webhook-secret';
export const VERDICT_SECRET = 'test-moderation-verdict-secret';

export async function startPipelineHarness(options: PipelineHarnessOptions = {}): Promise<PipelineHarness> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const db = await createTestDatabase();
  const s3Directory = await fs.mkdtemp(path.join(os.tmpdir(), 'auction-applications-s3-'));
  const s3 = await startLocalS3({ directory: s3Directory, bucket: 'auction-reports', port: 0 });

  let apiUrl = '';
  const moderation = new ModerationSandbox({
    verdictDelayMs: 50,
    deliveryRetryDelayMs: 100,
    ...options.moderation,
    deliverVerdict: options.deliverVerdict ?? createHttpVerdictDelivery({ url: () => `${apiUrl}${MODERATION_VERDICT_PATH}`, secret: VERDICT_SECRET }),
    logger,
  });
  const carfax = new CarfaxSandbox({ logger, ...options.carfax });
  const cme = new CmeSandbox({
    delaysMs: { 'evaluation.done': 50, 'status.changed': 100, 'inspection.done': 150 },
    deliveryRetryDelayMs: 100,
    ...options.cme,
    webhookUrl: () => `${apiUrl}${CME_WEBHOOK_PATH}`,
    secret: CME_SECRET,
    logger,
  });
  const lots = new LotsSandbox({ logger });
  await Promise.all([moderation.listen(), carfax.listen(), cme.listen(), lots.listen()]);

  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    SANDBOXES: 'false',
    TRADE_IN_URL: lots.url,
    MODERATION_URL: moderation.url,
    CARFAX_URL: carfax.url,
    CME_URL: cme.url,
    LOT_SINK: 'lots',
    LOTS_URL: lots.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: 'auction-reports',
    CME_WEBHOOK_SECRET: CME_SECRET,
    MODERATION_VERDICT_SECRET: VERDICT_SECRET,
    PARTNER_TIMEOUT_MS: '1000',
    PARTNER_RETRIES: '1',
    WORKER_CONCURRENCY: '4',
    ...options.env,
  };
  const config = loadConfig(env);
  const integrations = createIntegrations({ config, logger });
  const ctx: ServiceContext = { config, logger, db, integrations };

  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
    plugins: [useWebhooks({ db, logger, config })],
    logging: false,
  });
  const server = http.createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const workers: PipelineWorker[] = [];

  const harness: PipelineHarness = {
    db,
    config,
    ctx,
    apiUrl,
    moderation,
    carfax,
    cme,
    lots,
    s3,
    env,
    async startWorker(workerOptions = {}) {
      const worker = await startWorker(ctx, { cron: false, pollInterval: 200, ...workerOptions });
      workers.push(worker);
      return worker;
    },
    async pollCarfaxNow() {
      await db.prisma.$transaction((tx) => addJobInTransaction(tx, TASK.pollCarfax, {}, { jobKey: 'poll_carfax' }));
    },
    async waitForApplication(id, predicate, { timeoutMs = 30_000, pollCarfax = true } = {}) {
      const deadline = Date.now() + timeoutMs;
      let last: AuctionApplication | null = null;
      while (Date.now() < deadline) {
        last = await db.prisma.auctionApplication.findUnique({ where: { id } });
        if (last && predicate(last)) {
          return last;
        }
        if (pollCarfax && last?.waitingData.includes('CARFAX')) {
          await harness.pollCarfaxNow();
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`Application ${id} did not reach the expected state within ${timeoutMs} ms; it is ${JSON.stringify(describe(last))}.`);
    },
    async waitForIdle(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await db.pool.query<{ busy: number }>(
          'SELECT count(*)::int AS busy FROM graphile_worker.jobs WHERE attempts < max_attempts AND (run_at <= now() OR locked_by IS NOT NULL)',
        );
        if (rows[0]!.busy === 0) {
          return;
        }
        if (Date.now() > deadline) {
          throw new Error(`${rows[0]!.busy} jobs were still due or running after ${timeoutMs} ms.`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await Promise.all([moderation.close(), carfax.close(), cme.close(), lots.close()]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await s3.close();
      await fs.rm(s3Directory, { recursive: true, force: true });
      (integrations.reports as { destroy?: () => void }).destroy?.();
      await db.drop();
    },
  };
  return harness;
}

/** The fields that tell where an application is, for failure messages. */
export function describe(application: AuctionApplication | null) {
  if (!application) {
    return null;
  }
  const { status, applicationStatus, moderationStatus, waitingData, proAutoReport, cmeEvaluation, cmeInspection } = application;
  return { status, applicationStatus, moderationStatus, waitingData, proAutoReport, cmeEvaluation, cmeInspection };
}

/** Fetch a stored report by its public URL, as a lot reader would. */
export async function fetchReport(url: string): Promise<{ status: number; contentType: string | null; body: Uint8Array }> {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type'), body: new Uint8Array(await response.arrayBuffer()) };
}
