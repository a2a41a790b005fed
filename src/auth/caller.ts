import type { Actor } from '../domain/actor.js';
import type { UnauthenticatedError } from '../domain/errors.js';

/** The sender of a request, as identified from its headers. */
export type Caller =
  | { kind: 'seller'; userId: string }
  | { kind: 'service'; service: string }
  /** No credentials, or rejected credentials, with the reason in `failure`. */
  | { kind: 'anonymous'; failure: UnauthenticatedError };

/** Return the actor recorded in the history for a change the caller makes. */
export function actorOf(caller: Caller): Actor {
  switch (caller.kind) {
    case 'seller':
      return { type: 'SELLER', id: caller.userId };
    case 'service':
      return { type: 'SERVICE', id: caller.service };
    case 'anonymous':
      throw caller.failure;
  }
}
