import net from 'node:net';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { ServiceContext } from './context.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrateDatabase } from './db/migrate.js';
import { openDatabase } from './db/prisma.js';
import { checkDatabaseReachable, connectionErrorReason, DatabaseUnreachableError } from './db/reachability.js';
import { createApi } from './http/create-api.js';
import { startApiServer } from './http/server.js';
import { useMetrics } from './http/use-metrics.js';
import { useWebhooks } from './http/use-webhooks.js';
import { attachGraphqlWs } from './http/websocket.js';
import { createIntegrations } from './integrations/index.js';
import { startSandboxes } from './integrations/sandboxes.js';
import { createKafkaServices } from './kafka/service.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics/metrics.js';
import { startPubSub } from './pubsub/pubsub.js';
import { startWorker } from './worker.js';

/**
 * Start the service: `npm start`. Without DATABASE_URL it runs an embedded PostgreSQL, and
 * outside production it starts the partner sandboxes and a local S3 server, so one command runs
 * the whole pipeline on one machine. PROCESS_ROLE picks the API, the worker or both.
 */

/** Resources started so far, stopped in reverse order. */
const running: { name: string; stop: () => Promise<unknown> }[] = [];
let shuttingDown = false;

async function main(): Promise<void> {
  let config = readConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  handleSignals(logger, config.SHUTDOWN_TIMEOUT_MS);

  let databaseUrl = config.DATABASE_URL;
  if (databaseUrl) {
    await checkDatabaseReachable(databaseUrl, {
      setting: 'DATABASE_URL',
      advice: 'Start PostgreSQL there or correct DATABASE_URL, or unset DATABASE_URL to run an embedded PostgreSQL.',
    });
  } else {
    const embedded = await startLocalDatabase(config, logger);
    running.push({ name: 'embedded PostgreSQL', stop: () => embedded.stop() });
    databaseUrl = embedded.url;
    logger.info(`DATABASE_URL is not set, so an embedded PostgreSQL runs at 127.0.0.1:${config.EMBEDDED_POSTGRES_PORT} with data in ${config.EMBEDDED_POSTGRES_DIR}.`);
  }
  await migrateDatabase(databaseUrl);
  const db = openDatabase(databaseUrl, { poolSize: config.DATABASE_POOL_SIZE });
  running.push({ name: 'database pool', stop: () => db.close() });

  const runsApi = config.PROCESS_ROLE !== 'worker';
  const runsWorker = config.PROCESS_ROLE !== 'api';
  let apiUrl = `http://${config.HOST}:${config.PORT}`;

  // With KAFKA_BROKERS set, events leave through the outbox relay and verdicts arrive on the
  // verdict topic. Without it, events wait in outbox_events and verdicts come over HTTP.
  const kafka = createKafkaServices({ config, logger, db, databaseUrl });
  if (kafka) {
    // Pushed before the worker, so it stops after the worker's relay jobs have finished.
    running.push({ name: 'Kafka services', stop: () => kafka.stop() });
  }

  if (config.sandboxes) {
    // The sandboxes' delays are short and their CARFAX reports complete at the first poll, so a
    // local application reaches SENT in seconds. The tests cover slower partners.
    const sandboxes = await startSandboxes({
      config,
      logger,
      webhookBaseUrl: () => apiUrl,
      carfax: { completeAfterPolls: 0 },
      deliverVerdict: kafka?.deliverVerdict,
    });
    running.push({ name: 'sandboxes', stop: () => sandboxes.stop() });
    config = { ...config, ...sandboxes.urls };
  }

  const pubSub = await startPubSub({ connectionString: databaseUrl, pool: db.pool, logger });
  running.push({ name: 'pub/sub', stop: () => pubSub.close() });
  const metrics = new Metrics({ logger, pool: db.pool, stuckAfterMinutes: config.STUCK_AFTER_MINUTES, pubSubListening: () => pubSub.eventTarget.listening });
  const integrations = createIntegrations({ config, logger, onAttempt: metrics.observePartnerAttempt });
  const ctx: ServiceContext = { config, logger, db, integrations, pubSub: pubSub.pubSub, metrics };

  if (runsWorker) {
    await kafka?.start();
    const worker = await startWorker(ctx, { tasks: kafka?.tasks, crontab: kafka?.crontab, isShuttingDown: () => shuttingDown });
    running.push({ name: 'worker', stop: () => worker.stop() });
  }

  if (runsApi) {
    const api = createApi(ctx, {
      plugins: [useMetrics({ metrics }), useWebhooks({ db, logger, config, metrics })],
      isShuttingDown: () => shuttingDown,
    });
    const server = await startApiServer(api, { port: config.PORT, host: config.HOST });
    const webSockets = attachGraphqlWs(server.server, api, { logger });
    running.push({
      name: 'API server',
      stop: async () => {
        // Open subscriptions would hold the server open until the shutdown timeout.
        pubSub.endSubscriptions();
        await Promise.all([webSockets.close(), server.close()]);
      },
    });
    apiUrl = server.url;
    logger.info(`The API serves GraphQL at ${server.url}/graphql.`);
  }

  logger.info(
    `The service started with role ${config.PROCESS_ROLE}${config.sandboxes ? ', partner sandboxes and a local S3 server' : ''}${kafka ? `, and Kafka at ${config.KAFKA_BROKERS}` : ''}.`,
  );
}

/**
 * Start the embedded PostgreSQL, turning its failure into one line with the fix. embedded-postgres
 * (18.4.0-beta) rejects with no error at all when its server exits at start, which is what a
 * port already in use does, so the port is probed to name that cause.
 */
async function startLocalDatabase(config: Config, logger: Logger): Promise<EmbeddedDatabase> {
  const port = config.EMBEDDED_POSTGRES_PORT;
  try {
    return await startEmbeddedPostgres({ dataDir: config.EMBEDDED_POSTGRES_DIR, port, logger });
  } catch (error) {
    const reason = error === undefined ? ((await isPortInUse(port)) ? `port ${port} is already in use` : 'the server exited at start') : connectionErrorReason(error);
    throw new DatabaseUnreachableError(
      `The embedded PostgreSQL failed to start at 127.0.0.1:${port} with data in ${config.EMBEDDED_POSTGRES_DIR}: ${reason}. ` +
        'Stop the process that uses the port or set EMBEDDED_POSTGRES_PORT, or set DATABASE_URL to a running PostgreSQL.',
      { cause: error },
    );
  }
}

function isPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

/** Load the configuration, or print its one-line error and exit 1. */
function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Stop on SIGINT or SIGTERM: the API first, so no new work comes in, then the worker after its
 * running jobs, then the rest. A second signal, or SHUTDOWN_TIMEOUT_MS passing, exits at once.
 */
function handleSignals(logger: Logger, timeoutMs: number): void {
  const stop = async (signal: string) => {
    if (shuttingDown) {
      logger.warn(`Received ${signal} again, so the service exits without finishing its shutdown.`);
      process.exit(1);
    }
    shuttingDown = true;
    const startedAt = performance.now();
    logger.info(`Received ${signal}; the service is shutting down.`);
    setTimeout(() => {
      logger.error(`The shutdown took longer than ${timeoutMs} ms, so the service exits now.`);
      process.exit(1);
    }, timeoutMs).unref();
    await stopAll(logger);
    logger.info(`The service stopped after ${Math.round(performance.now() - startedAt)} ms.`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function stopAll(logger: Logger): Promise<void> {
  for (const resource of running.reverse()) {
    try {
      await resource.stop();
    } catch (error) {
      logger.error({ err: error }, `Stopping the ${resource.name} failed.`);
    }
  }
}

main().catch(async (error: unknown) => {
  const logger = createLogger();
  if (error instanceof ConfigError || error instanceof DatabaseUnreachableError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    logger.fatal({ err: error }, `The service failed to start: ${error instanceof Error ? error.message : String(error)}`);
  }
  await stopAll(logger);
  process.exit(1);
});
