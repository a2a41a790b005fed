import type { ActorType } from '../db/prisma.js';

/** Who made a change: a seller by user id, a service by its configured name, or the pipeline. */
export interface Actor {
  type: ActorType;
  id: string;
}

export const PIPELINE_ACTOR: Actor = { type: 'SYSTEM', id: 'pipeline' };
