import {
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { PartnerError } from '../http.js';
import type { ReportStore, ReportType } from './contract.js';

export const REPORT_TYPES: readonly ReportType[] = ['pro-auto', 'cme-evaluation', 'cme-inspection'];

export interface S3ReportStoreOptions {
  /** An S3-compatible endpoint such as s3rver's; absent for AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * The base under which the bucket's keys are public, such as a CDN in front of the bucket;
   * a report's URL is `${publicUrl}/${key}`. Default: `${endpoint}/${bucket}`, or the bucket's
   * AWS URL without an endpoint.
   */
  publicUrl?: string;
  /** The canned ACL of every object; null sends none, for buckets with ACLs disabled. Default: public-read. */
  objectAcl?: ObjectCannedACL | null;
  logger?: Logger;
}

/**
 * Reports in an S3 bucket under `${applicationId}/${reportType}`, readable by anyone with the URL,
 * so a lot message or the seller's page can link to them. Writing a key again replaces the
 * object, so a retried job leaves one object per report.
 */
export class S3ReportStore implements ReportStore {
  private readonly client: S3Client;
  private readonly publicBase: string;

  constructor(private readonly options: S3ReportStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      forcePathStyle: options.endpoint !== undefined,
      // Since 3.729 the SDK sends stream bodies aws-chunked with a CRC32 trailer by default, and
      // s3rver 3.7 stores that framing inside the object. Byte arrays are sent whole either way.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const base = options.publicUrl ?? (options.endpoint ? `${trimSlash(options.endpoint)}/${options.bucket}` : `https://${options.bucket}.s3.${options.region}.amazonaws.com`);
    this.publicBase = trimSlash(base);
  }

  /** Build the public URL of a report, whether or not it is stored yet. */
  urlOf(applicationId: string, reportType: ReportType): string {
    return `${this.publicBase}/${reportKey(applicationId, reportType)}`;
  }

  async put(applicationId: string, reportType: ReportType, body: Uint8Array, contentType: string): Promise<string> {
    const key = reportKey(applicationId, reportType);
    const started = performance.now();
    await this.send(`store ${key}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.byteLength,
          ...(this.options.objectAcl === null ? {} : { ACL: this.options.objectAcl ?? 'public-read' }),
        }),
      ),
    );
    this.options.logger?.info(
      { applicationId, reportType, bytes: body.byteLength, durationMs: Math.round(performance.now() - started) },
      `Stored report ${key} (${body.byteLength} bytes, ${contentType}) in bucket ${this.options.bucket}.`,
    );
    return this.urlOf(applicationId, reportType);
  }

  async deleteAll(applicationId: string): Promise<void> {
    const prefix = `${checkApplicationId(applicationId)}/`;
    const keys: string[] = [];
    await this.send(`list ${prefix}`, async () => {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.options.bucket, Prefix: prefix })) {
        keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      }
    });
    // One DELETE per key: an application has at most three reports, so a multi-object delete
    // would save little.
    await Promise.all(keys.map((key) => this.send(`delete ${key}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key })))));
    this.options.logger?.info({ applicationId, keys }, `Deleted ${keys.length} reports of application ${applicationId} from bucket ${this.options.bucket}.`);
  }

  destroy(): void {
    this.client.destroy();
  }

  /** Run an S3 call and turn its failure into a PartnerError whose kind shows whether a retry may help. */
  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      const kind = status !== undefined && status >= 400 && status < 500 && status !== 429 ? 'rejected' : 'unavailable';
      throw new PartnerError('s3', kind, `S3 could not ${what} in bucket ${this.options.bucket}: ${(error as Error).message}`, status, { cause: error });
    }
  }
}

/** Build the report store from S3_* settings. S3_ENDPOINT absent means AWS itself. */
export function createReportStore(config: Config, logger?: Logger): S3ReportStore {
  return new S3ReportStore({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    bucket: config.S3_BUCKET,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    publicUrl: config.S3_PUBLIC_URL,
    logger,
  });
}

/** Build the object key of a report. Throws on an application id that is not a decimal number or on an unknown type. */
export function reportKey(applicationId: string, reportType: ReportType): string {
  if (!REPORT_TYPES.includes(reportType)) {
    throw new TypeError(`Report type ${JSON.stringify(reportType)} is invalid: expected one of ${REPORT_TYPES.join(', ')}.`);
  }
  return `${checkApplicationId(applicationId)}/${reportType}`;
}

function checkApplicationId(applicationId: string): string {
  // The id becomes a key prefix: anything but digits could reach another application's reports.
  if (!/^\d{1,19}$/.test(applicationId)) {
    throw new TypeError(`Application id ${JSON.stringify(applicationId)} is invalid: expected a decimal number.`);
  }
  return applicationId;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
