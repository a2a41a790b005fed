import { z } from 'zod';
import { TASK } from '../pipeline/jobs.js';
import { defineStage } from '../pipeline/stage.js';
import { sweepStuckApplications } from '../pipeline/sweep.js';
import { unlockCrashedWorkers } from '../pipeline/worker-liveness.js';

/**
 * The crontab's safety net: first release the jobs of worker processes that died holding them,
 * then re-enqueue the stage of every application stuck past STUCK_AFTER_MINUTES and count them.
 */
export const sweepStuck = defineStage({
  identifier: TASK.sweepStuck,
  payload: z.object({}).loose(),
  async run({ ctx, logger }) {
    await unlockCrashedWorkers(ctx.db.pool, logger);
    await sweepStuckApplications({ db: ctx.db, logger, config: ctx.config });
  },
});

export default sweepStuck.cliTask;
