import { errorTypeMap, wrapErrorIfMatches } from '@pothos/plugin-errors';
import { parseApplicationId } from '../domain/applications.js';
import { DomainError, NotFoundError, UnauthenticatedError, ValidationError } from '../domain/errors.js';
import { streamApplicationUpdates, type ApplicationUpdate } from '../pubsub/application-updates.js';
import { ApplicationRef } from './application.js';
import { builder, type GraphQLContext } from './builder.js';
import { StatusEnum } from './enums.js';

const ApplicationUpdateRef = builder.objectRef<ApplicationUpdate>('ApplicationUpdate').implement({
  description: 'One event of `applicationUpdated`: the application after a batch of changes, and those changes.',
  fields: (t) => ({
    status: t.field({ type: StatusEnum, description: 'The end-to-end status after the changes.', resolve: (update) => update.application.status }),
    application: t.field({ type: ApplicationRef, resolve: (update) => update.application }),
    // The entries are already loaded, and HistoryEntry has no relations for a query to include.
    newHistory: t.prismaField({
      type: ['ApplicationHistory'],
      description: 'The history entries committed since the previous event, oldest first. The first event carries the whole history.',
      resolve: (_query, update) => update.newHistory,
    }),
  }),
});

const SUBSCRIPTION_ERRORS = [ValidationError, NotFoundError, UnauthenticatedError] as const;

type SubscriptionError = InstanceType<(typeof SUBSCRIPTION_ERRORS)[number]>;

const ApplicationUpdatedResult = builder.unionType('ApplicationUpdatedResult', {
  description: 'An update, or the error that ended the subscription before its first event.',
  types: [ApplicationUpdateRef, ...SUBSCRIPTION_ERRORS],
  // The field's resolver wraps each error with wrapErrorIfMatches, which records its type.
  resolveType: (value) => {
    const errorType = errorTypeMap.get(value as object);
    return errorType ? builder.configStore.getTypeConfig(errorType).name : 'ApplicationUpdate';
  },
});

builder.subscriptionType({});

// The field handles authorisation and typed errors itself, without the scope-auth and errors
// plugins, because the errors plugin wraps the event stream in an async generator. Such a
// generator postpones the consumer's return() until the next event, so a closed subscription to
// an application that never changes again would keep its listener for the life of the process.
builder.subscriptionField('applicationUpdated', (t) =>
  t.field({
    type: ApplicationUpdatedResult,
    description:
      'The live state of one application: an event with the current state and whole history at once, then one per batch of new changes, until the client ' +
      'unsubscribes or the application is deleted. A seller may follow only their own applications, a service any. Another caller receives one error event ' +
      'and the stream ends. Served over SSE and WebSocket (graphql-ws).',
    args: { id: t.arg.id({ required: true, description: 'The global ID or the application number.' }) },
    subscribe: async (_root, args, context) => {
      let applicationId: bigint;
      try {
        applicationId = await authorizeSubscription(context, args.id);
      } catch (error) {
        if (error instanceof DomainError && SUBSCRIPTION_ERRORS.some((candidate) => error instanceof candidate)) {
          context.logger.info({ code: error.code }, `A subscription to application ${args.id} was rejected: ${error.message}`);
          return singleEvent(error as SubscriptionError);
        }
        throw error;
      }

      const { service } = context;
      if (!service.pubSub) {
        throw new Error('applicationUpdated needs the pub/sub, but this process was started without it.');
      }
      const logger = context.logger.child({ applicationId: applicationId.toString() });
      const closeTracking = service.metrics?.trackSubscription();
      logger.debug(`A subscription to application ${applicationId} opened.`);
      return streamApplicationUpdates({
        prisma: service.db.prisma,
        pubSub: service.pubSub,
        logger,
        applicationId,
        onClose: () => {
          closeTracking?.();
          logger.debug(`A subscription to application ${applicationId} closed.`);
        },
      });
    },
    // graphql-js treats a resolved Error as a field error, so errors go out wrapped the way the
    // errors plugin wraps them: as values that no longer look like Errors.
    resolve: (event: ApplicationUpdate | SubscriptionError) =>
      event instanceof Error ? (wrapErrorIfMatches(event, [...SUBSCRIPTION_ERRORS]) as SubscriptionError) : event,
  }),
);

/**
 * Return the id of the application that the caller may follow. Throws UnauthenticatedError
 * without valid credentials, and NotFoundError for a missing application or another seller's,
 * so that a seller learns nothing about other sellers' applications, not even that they exist.
 */
async function authorizeSubscription(context: GraphQLContext, rawId: string | number): Promise<bigint> {
  const { caller } = context;
  if (caller.kind === 'anonymous') {
    throw caller.failure;
  }
  const applicationId = parseApplicationId(rawId);
  const application = await context.service.db.prisma.auctionApplication.findUnique({ where: { id: applicationId }, select: { userId: true } });
  if (!application || (caller.kind === 'seller' && application.userId !== caller.userId)) {
    throw new NotFoundError('Application', applicationId.toString());
  }
  return applicationId;
}

async function* singleEvent<T>(event: T): AsyncGenerator<T> {
  yield event;
}
