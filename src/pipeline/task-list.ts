import type { TaskList } from 'graphile-worker';
import type { ServiceContext } from '../context.js';
import { applyModerationVerdict } from '../tasks/apply_moderation_verdict.js';
import { handOffLot } from '../tasks/hand_off_lot.js';
import { pollCarfax } from '../tasks/poll_carfax.js';
import { pruneRecords } from '../tasks/prune_records.js';
import { requestEnrichment } from '../tasks/request_enrichment.js';
import { sendToModeration } from '../tasks/send_to_moderation.js';
import { storeCmeReport } from '../tasks/store_cme_report.js';
import { sweepStuck } from '../tasks/sweep_stuck.js';
import type { Stage } from './stage.js';

export const PIPELINE_STAGES: readonly Stage[] = [sendToModeration, applyModerationVerdict, requestEnrichment, storeCmeReport, pollCarfax, handOffLot, sweepStuck, pruneRecords];

/** The pipeline's graphile-worker tasks, bound to the service's context. */
export function createTaskList(ctx: ServiceContext): TaskList {
  return Object.fromEntries(PIPELINE_STAGES.map((stage) => [stage.identifier, stage.task(ctx)]));
}
