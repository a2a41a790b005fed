import fs from 'node:fs/promises';
import path from 'node:path';
import S3rver from 's3rver';
import type { Logger } from '../../logger.js';

export interface LocalS3Options {
  /** Directory of the stored objects, which survive restarts. */
  directory: string;
  /** Created at start when missing. */
  bucket: string;
  /** 0 picks a free port. Default: 0. */
  port?: number;
  logger?: Logger;
}

export interface LocalS3 {
  /** The endpoint for S3_ENDPOINT, such as `http://127.0.0.1:4568`. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Start s3rver, an S3-compatible server on the local disk, on 127.0.0.1 with the bucket in
 * place. s3rver serves objects to requests without credentials, which is what the public
 * report URLs need; it does not enforce ACLs.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const directory = path.resolve(options.directory);
  await fs.mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  options.logger?.info({ endpoint, directory, bucket: options.bucket }, `Local S3 server listens on ${endpoint} with bucket ${options.bucket}, storing in ${directory}.`);

  return {
    endpoint,
    async close() {
      await server.close();
      options.logger?.info({ endpoint }, `Local S3 server on ${endpoint} stopped.`);
    },
  };
}
