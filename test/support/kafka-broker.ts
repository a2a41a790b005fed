import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

/**
 * A Kafka broker started through scripts/kafka.sh for the test run, or for one test file that
 * stops and restarts its own broker. Used by the global setup and by test files, so it imports
 * only vitest's types.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Kafka bootstrap servers, or '' when the Kafka tests are skipped. */
    kafkaBrokers: string;
    /** Why the Kafka tests are skipped, or '' when they run. */
    kafkaSkipReason: string;
    /** Why tests that start a broker of their own are skipped, or '' when they run. */
    localKafkaSkipReason: string;
  }
}

let runBroker: LocalKafkaBroker | undefined;

/** Whether this is a CI run, where the Kafka tests must run and a missing broker is a failure. */
function isCi(): boolean {
  return ['true', '1', 'yes'].includes((process.env.CI ?? '').toLowerCase());
}

/**
 * Find the run's broker: KAFKA_BROKERS when set, else a broker started here for the run. When
 * neither is possible, print why and let the Kafka tests skip, except in CI (CI=true), where the
 * run fails instead.
 */
export async function setupKafka(project: TestProject): Promise<void> {
  let brokers = process.env.KAFKA_BROKERS ?? '';
  let skipReason = '';
  const localProblem = localKafkaProblem() ?? '';

  if (brokers) {
    process.stdout.write(`The Kafka tests use the broker at ${brokers} (KAFKA_BROKERS).\n`);
  } else if (localProblem) {
    skipReason = localProblem;
  } else {
    try {
      runBroker = await startLocalKafka();
      brokers = runBroker.brokers;
      process.stdout.write(`KAFKA_BROKERS is not set, so the tests started a Kafka broker at ${brokers} (scripts/kafka.sh, data in ${runBroker.dir}).\n`);
    } catch (error) {
      skipReason = `starting a Kafka broker failed: ${(error as Error).message}`;
    }
  }

  const ciProblem = skipReason || localProblem;
  if (ciProblem && isCi()) {
    throw new Error(`The Kafka tests cannot run because ${ciProblem}. CI runs (CI=${process.env.CI}) must not skip them.`);
  }
  if (skipReason) {
    process.stdout.write(`The Kafka tests are skipped because ${skipReason}.\n`);
  } else if (localProblem) {
    process.stdout.write(`The Kafka tests that stop and restart a broker of their own are skipped because ${localProblem}.\n`);
  }
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaSkipReason', skipReason);
  project.provide('localKafkaSkipReason', localProblem);
}

export async function teardownKafka(): Promise<void> {
  await runBroker?.destroy();
  runBroker = undefined;
}

const execFileAsync = promisify(execFile);
const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'kafka.sh');

export interface LocalKafkaBroker {
  /** The bootstrap address, `127.0.0.1:<port>`. It stays the same across stop and start. */
  brokers: string;
  dir: string;
  /** Stop the broker gracefully and keep its data. */
  stop(): Promise<void>;
  /** Start the stopped broker again, on the same port and with the same data. */
  start(): Promise<void>;
  /** Stop the broker and delete its folder. */
  destroy(): Promise<void>;
}

/**
 * Why a broker cannot be started on this machine, or undefined when it can: scripts/kafka.sh
 * needs Java, and Maven unless the broker's jars are already in .tools/.
 */
export function localKafkaProblem(): string | undefined {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    return 'Java is not on PATH (scripts/kafka.sh runs the Kafka broker on Java 17; install openjdk-17-jre-headless and maven, or set KAFKA_BROKERS)';
  }
  return undefined;
}

/** Start a broker in a new temporary folder on free ports and wait until it accepts clients. */
export async function startLocalKafka(): Promise<LocalKafkaBroker> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'auction-applications-kafka-'));
  let brokers: string;
  try {
    brokers = await runScript('start', dir);
  } catch (error) {
    await runScript('stop', dir, ['--purge']).catch(() => fs.rm(dir, { recursive: true, force: true }));
    throw error;
  }
  return {
    brokers,
    dir,
    async stop() {
      await runScript('stop', dir);
    },
    async start() {
      await runScript('start', dir);
    },
    async destroy() {
      await runScript('stop', dir, ['--purge']);
    },
  };
}

async function runScript(command: 'start' | 'stop', dir: string, extra: string[] = []): Promise<string> {
  try {
    // The first start fetches the broker with Maven, which takes a minute or more on a cold cache.
    const { stdout } = await execFileAsync('bash', [script, command, '--dir', dir, ...extra], { timeout: 300_000 });
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (error) {
    const output = error as { stderr?: string; message: string };
    throw new Error(`scripts/kafka.sh ${command} --dir ${dir} failed: ${(output.stderr || output.message).trim()}`);
  }
}
