import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type BenchProcess } from './processes.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServiceSettings {
  databaseUrl: string;
  /** DATABASE_POOL_SIZE of each service process; the bare servers get the same. */
  poolSize: number;
  /** WORKER_CONCURRENCY; the bare worker gets the same. */
  workerConcurrency: number;
  /** LOG_LEVEL of the service processes. */
  logLevel: string;
  /** KAFKA_BROKERS, passed on only when set. */
  kafkaBrokers?: string;
}

/** The service as it runs in production: an API process and, when asked for, a worker process. */
export interface RunningService {
  apiUrl: string;
  graphqlUrl: string;
  api: BenchProcess;
  worker?: BenchProcess;
  sandboxes: BenchProcess;
  stop(): Promise<void>;
}

/**
 * Start the partner sandboxes, then the service's API (`PROCESS_ROLE=api`) and optionally its
 * worker (`PROCESS_ROLE=worker`) from src/main.ts, each in a process of its own. The API's port
 * is chosen first, because the sandboxes need it for their callbacks.
 */
export async function startService(settings: ServiceSettings, options: { worker: boolean }): Promise<RunningService> {
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const started: BenchProcess[] = [];

  try {
    const sandboxes = await startProcess({
      name: 'sandboxes',
      script: path.join(projectRoot, 'bench', 'sandboxes-process.ts'),
      env: { ...baseEnv(), LOG_LEVEL: 'warn', BENCH_API_URL: apiUrl, ...(settings.kafkaBrokers ? { KAFKA_BROKERS: settings.kafkaBrokers } : {}) },
      ready: { message: true },
    });
    started.push(sandboxes);
    const urls = sandboxes.readyMessage.urls as Record<string, string>;

    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      ...urls,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: settings.databaseUrl,
      DATABASE_POOL_SIZE: String(settings.poolSize),
      WORKER_CONCURRENCY: String(settings.workerConcurrency),
      LOG_LEVEL: settings.logLevel,
      SANDBOXES: 'false',
      ALLOW_USER_ID_HEADER: 'true',
      ...(settings.kafkaBrokers ? { KAFKA_BROKERS: settings.kafkaBrokers } : {}),
    };
    const main = path.join(projectRoot, 'src', 'main.ts');

    const api = await startProcess({ name: 'api', script: main, env: { ...env, PROCESS_ROLE: 'api' }, ready: { url: `${apiUrl}/ready` } });
    started.push(api);
    let worker: BenchProcess | undefined;
    if (options.worker) {
      // The worker has no HTTP endpoint; the caller's warm-up run shows that it takes jobs.
      worker = await startProcess({ name: 'worker', script: main, env: { ...env, PROCESS_ROLE: 'worker' }, ready: { afterMs: 0 } });
      started.push(worker);
    }

    return {
      apiUrl,
      graphqlUrl: `${apiUrl}/graphql`,
      api,
      worker,
      sandboxes,
      async stop() {
        // The API first, so that no callback arrives at a stopped process; the sandboxes last.
        await api.stop();
        await worker?.stop();
        await sandboxes.stop();
      },
    };
  } catch (error) {
    await Promise.allSettled(started.reverse().map((child) => child.stop()));
    throw error;
  }
}

/** Copy the benchmark's environment without the settings that each child gets explicitly. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'PROCESS_ROLE', 'PORT', 'KAFKA_BROKERS', 'SANDBOXES', 'NODE_ENV']) {
    delete env[name];
  }
  return env;
}

/** Find a port that is free now on 127.0.0.1, for the caller to bind at once. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
