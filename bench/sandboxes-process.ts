/**
 * The partner sandboxes and the local S3 server in a process of their own, so that their work
 * does not count against the service's processes. Every partner responds at once: moderation
 * approves without delay, CARFAX returns the complete report with the order, and CME sends its
 * three webhooks right after the draft. BENCH_API_URL is the API that receives the callbacks.
 * With KAFKA_BROKERS set, verdicts go to the verdict topic, as the service's own local run sends
 * them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createKafkaClient } from '../src/kafka/client.js';
import { createRecordPublisher } from '../src/kafka/publisher.js';
import { createKafkaVerdictDelivery } from '../src/integrations/moderation/kafka-delivery.js';
import { startSandboxes } from '../src/integrations/sandboxes.js';
import { createLogger } from '../src/logger.js';

const apiUrl = process.env.BENCH_API_URL;
if (!apiUrl) {
  throw new Error('BENCH_API_URL is missing: the sandboxes need the API URL that receives webhooks and verdicts.');
}

const config = loadConfig({ ...process.env, SANDBOXES: 'true' });
const logger = createLogger({ level: config.LOG_LEVEL, name: 'bench-sandboxes' });
const s3Directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-bench-s3-'));
const publisher = config.KAFKA_BROKERS ? createRecordPublisher(createKafkaClient(config, logger), logger) : undefined;

const sandboxes = await startSandboxes({
  config,
  logger,
  webhookBaseUrl: apiUrl,
  localS3: { port: 0, directory: s3Directory },
  deliverVerdict: publisher ? createKafkaVerdictDelivery({ publisher, topic: config.KAFKA_VERDICTS_TOPIC }) : undefined,
  moderation: { verdictDelayMs: 0 },
  carfax: { synchronous: true, completeAfterPolls: 0 },
  cme: { delaysMs: { 'evaluation.done': 0, 'status.changed': 0, 'inspection.done': 0 } },
});

process.once('SIGTERM', () => {
  sandboxes
    .stop()
    .then(() => publisher?.close())
    .finally(() => fs.rmSync(s3Directory, { recursive: true, force: true }))
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});

process.send?.({ type: 'ready', urls: sandboxes.urls });
