import type { ApplicationDependencies } from '../domain/applications.js';
import { parseApplicationId } from '../domain/applications.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { validateVin } from '../domain/vin.js';
import { builder, sellerOnly, sellerOrService, type GraphQLContext } from './builder.js';
import { DataSourceEnum, ApplicationStatusEnum, ModerationStatusEnum, StatusEnum } from './enums.js';
import { AUTH_ERRORS } from './errors.js';
import { VinWarningRef } from './vin.js';

export const ApplicationRef = builder.prismaNode('AuctionApplication', {
  name: 'Application',
  description: "A seller's application to sell one listed car at the dealer auction.",
  id: { field: 'id' },
  fields: (t) => ({
    applicationId: t.string({ description: 'The application number, the raw form of `id`.', resolve: (application) => application.id.toString() }),
    userId: t.exposeString('userId', { description: 'The seller.' }),
    offerId: t.exposeString('offerId'),
    vin: t.exposeString('vin'),
    vinWarnings: t.field({ type: [VinWarningRef], resolve: (application) => vinWarnings(application.vin) }),
    offer: t.field({
      type: 'JSONObject',
      description: 'The listing exactly as it was submitted.',
      resolve: (application) => JSON.parse(new TextDecoder().decode(application.offerBody)) as Record<string, unknown>,
    }),
    inspectTime: t.expose('inspectTime', { type: 'DateTime' }),
    inspectPlace: t.exposeString('inspectPlace'),
    status: t.expose('status', {
      type: StatusEnum,
      description: 'The end-to-end status that the seller sees and the other auction services share. A lot handed to the auction stays INSPECTED until the lots service reports the auction.',
    }),
    applicationStatus: t.expose('applicationStatus', {
      type: ApplicationStatusEnum,
      description:
        "This service's internal pipeline state: NEW, MODERATED after moderation, WAITING_DATA for reports, READY, and SENT once the lot was handed to the auction. REJECTED and WITHDRAWN end it early.",
    }),
    moderationStatus: t.expose('moderationStatus', { type: ModerationStatusEnum, nullable: true }),
    waitingData: t.expose('waitingData', { type: [DataSourceEnum] }),
    proAutoReport: t.exposeString('proAutoReport', { nullable: true, description: 'The URL of the ProAuto vehicle-history report.' }),
    cmeEvaluation: t.exposeString('cmeEvaluation', { nullable: true, description: 'The URL of the CME evaluation list.' }),
    cmeInspection: t.exposeString('cmeInspection', { nullable: true, description: 'The URL of the CME inspection result.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'When the application became ready.' }),
    history: t.relation('history', {
      description: 'Every change, oldest first.',
      query: { orderBy: { id: 'asc' } },
    }),
  }),
});

builder.queryField('application', (t) =>
  t.prismaField({
    type: 'AuctionApplication',
    description: "One application with its history. A seller sees only their own; a service sees any.",
    ...sellerOrService,
    errors: { types: [ValidationError, NotFoundError, ...AUTH_ERRORS], directResult: true, union: { name: 'ApplicationResult' } },
    args: { id: t.arg.id({ required: true, description: 'The global ID or the application number.' }) },
    resolve: async (query, _root, args, context) => {
      const id = parseApplicationId(args.id);
      const application = await context.service.db.prisma.auctionApplication.findUnique({ ...query, where: { id } });
      if (!application || (context.caller.kind === 'seller' && application.userId !== context.caller.userId)) {
        throw new NotFoundError('Application', id.toString());
      }
      return application;
    },
  }),
);

builder.queryField('myApplications', (t) =>
  t.prismaConnection({
    type: 'AuctionApplication',
    cursor: 'id',
    description: "The seller's applications, newest first.",
    ...sellerOnly,
    args: { status: t.arg({ type: [StatusEnum], required: false, description: 'Only applications in these statuses.' }) },
    resolve: (query, _root, args, context) =>
      context.service.db.prisma.auctionApplication.findMany({
        ...query,
        where: { userId: sellerIdOf(context), ...(args.status && args.status.length > 0 ? { status: { in: args.status } } : {}) },
        orderBy: { id: 'desc' },
      }),
  },
  { name: 'ApplicationConnection' },
  { name: 'ApplicationEdge' },
  ),
);

/** Collect the domain operations' dependencies for one request. */
export function applicationDependencies(context: GraphQLContext): ApplicationDependencies {
  return { prisma: context.service.db.prisma, integrations: context.service.integrations, logger: context.logger };
}

/** Return the seller's id on a field whose scope admits only sellers. */
export function sellerIdOf(context: GraphQLContext): string {
  if (context.caller.kind !== 'seller') {
    throw new Error(`A seller-only field ran for a ${context.caller.kind} caller; its authScopes are missing.`);
  }
  return context.caller.userId;
}

function vinWarnings(vin: string) {
  try {
    return validateVin(vin).warnings;
  } catch {
    // Rows are validated on the way in; a VIN edited by hand in the database gets no warnings.
    return [];
  }
}

