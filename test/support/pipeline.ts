import fs from 'node:fs';
import path from 'node:path';
import type { AuctionApplication, Database } from '../../src/db/prisma.js';
import { insertApplication } from '../../src/domain/changes.js';
import { enqueueStage, TASK } from '../../src/pipeline/jobs.js';

export const FIXTURE_OFFERS_DIR = path.resolve(import.meta.dirname, '../../../shared/fixtures/offers');

export interface FixtureOffer {
  name: string;
  offer: Record<string, any>;
  body: Uint8Array<ArrayBuffer>;
}

/** Every valid fixture offer, with its exact bytes. */
export function loadFixtureOffers(): FixtureOffer[] {
  return fs
    .readdirSync(FIXTURE_OFFERS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const body = fs.readFileSync(path.join(FIXTURE_OFFERS_DIR, file));
      return { name: path.basename(file, '.json'), offer: JSON.parse(body.toString('utf8')), body: Uint8Array.from(body) };
    });
}

let vinCounter = 0;

/** Return a distinct valid-looking VIN on each call, so applications of one test file never clash. */
export function nextVin(): string {
  vinCounter += 1;
  return `XTAGFK330JY${String(100000 + vinCounter).padStart(6, '0')}`;
}

/**
 * Insert a NEW application the way the API does, with its `send_to_moderation` job in the same
 * transaction, unless `enqueue` is false.
 */
export async function insertTestApplication(
  db: Database,
  options: { offer?: FixtureOffer; vin?: string; enqueue?: boolean; inspectTime?: Date } = {},
): Promise<AuctionApplication> {
  const offer = options.offer;
  const userId = offer ? String(offer.offer.user_ref).replace(/^user:/, '') : '41872156';
  const vin = options.vin ?? (offer ? String(offer.offer.documents.vin).toUpperCase() : nextVin());
  return db.prisma.$transaction(async (tx) => {
    const application = await insertApplication(tx, {
      actor: { type: 'SELLER', id: userId },
      data: {
        userId,
        offerId: offer ? String(offer.offer.id) : `offer-${vin}`,
        vin,
        offerBody: offer?.body ?? new TextEncoder().encode(JSON.stringify({ id: `offer-${vin}`, documents: { vin } })),
        inspectTime: options.inspectTime ?? new Date(Date.now() + 86_400_000),
        inspectPlace: 'Moscow, Tverskaya 1',
      },
    });
    if (options.enqueue !== false) {
      await enqueueStage(tx, TASK.sendToModeration, { applicationId: application.id.toString() });
    }
    return application;
  });
}

/** List the pending graphile-worker jobs, oldest first, as task identifier and payload. */
export async function pendingJobs(db: Database, taskIdentifier?: string): Promise<{ task: string; payload: any; queue: string | null }[]> {
  const { rows } = await db.pool.query<{ task_identifier: string; payload: unknown; queue_name: string | null }>(
    // The public jobs view has no payload column, so the test reads graphile-worker's tables.
    `SELECT t.identifier AS task_identifier, j.payload, q.queue_name
       FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks t ON t.id = j.task_id
       LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
      WHERE ($1::text IS NULL OR t.identifier = $1) ORDER BY j.id`,
    [taskIdentifier ?? null],
  );
  return rows.map((row) => ({ task: row.task_identifier, payload: row.payload, queue: row.queue_name }));
}

export async function clearJobs(db: Database): Promise<void> {
  await db.pool.query('DELETE FROM graphile_worker._private_jobs');
}
