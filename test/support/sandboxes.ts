import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { startSandboxes, type Sandboxes, type StartSandboxesOptions } from '../../src/integrations/sandboxes.js';

export interface TestSandboxes extends Sandboxes {
  /** The configuration with every partner URL and S3_ENDPOINT pointing at the sandboxes. */
  config: Config;
  /** The settings a service process needs to use these sandboxes instead of starting its own. */
  env: Record<string, string>;
  logger: Logger;
}

/**
 * Start every sandbox and a local S3 server of this test file's own (free ports, a temporary
 * directory that stop() removes), and return the configuration that points at them.
 */
export async function startTestSandboxes(
  options: Omit<StartSandboxesOptions, 'config' | 'logger' | 'localS3'> & { env?: NodeJS.ProcessEnv; logger?: Logger },
): Promise<TestSandboxes> {
  const { env, logger: givenLogger, ...rest } = options;
  const logger = givenLogger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const baseConfig = loadConfig({ ...process.env, S3_ENDPOINT: undefined, S3_PUBLIC_URL: undefined, ...env });
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'auction-applications-s3-'));
  const sandboxes = await startSandboxes({
    ...rest,
    config: baseConfig,
    logger,
    localS3: { port: 0, directory },
  });
  const urls = Object.entries(sandboxes.urls).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return {
    ...sandboxes,
    config: { ...baseConfig, ...sandboxes.urls },
    env: { SANDBOXES: 'false', ...Object.fromEntries(urls) },
    logger,
    async stop() {
      await sandboxes.stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
