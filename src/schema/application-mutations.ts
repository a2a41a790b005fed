import type { AuctionApplication } from '../db/prisma.js';
import { actorOf } from '../auth/caller.js';
import {
  createApplication,
  deleteApplication,
  editApplication,
  parseApplicationId,
  updateApplicationStatus,
  withdrawApplication,
} from '../domain/applications.js';
import {
  ActiveApplicationExistsError,
  InvalidTransitionError,
  NotFoundError,
  PartnerUnavailableError,
  ValidationError,
} from '../domain/errors.js';
import type { VinWarning } from '../domain/vin.js';
import { applicationDependencies, ApplicationRef, sellerIdOf } from './application.js';
import { builder, internalOnly, sellerOnly } from './builder.js';
import { ModerationStatusEnum, StatusEnum } from './enums.js';
import { AUTH_ERRORS, NOT_ELIGIBLE_ERRORS } from './errors.js';
import { VinWarningRef } from './vin.js';

interface ApplicationChangePayload {
  application: AuctionApplication;
  /** False when the application already was as requested and nothing was written. */
  changed: boolean;
}

const CreateApplicationInput = builder.inputType('CreateApplicationInput', {
  fields: (t) => ({
    offer: t.field({ type: 'JSONObject', required: true, description: "The listing in the classifieds site's public API shape." }),
    inspectTime: t.field({ type: 'DateTime', required: true, description: 'The wished inspection time; must be in the future.' }),
    inspectPlace: t.string({ required: true, description: 'The wished inspection place, as an address.' }),
    idempotencyKey: t.string({
      required: false,
      description: 'A key the client keeps for retries of one submission: a repeat with the same key and input returns the first result.',
    }),
  }),
});

const CreateApplicationPayload = builder
  .objectRef<{ application: AuctionApplication; vinWarnings: VinWarning[]; replayed: boolean }>('CreateApplicationPayload')
  .implement({
    fields: (t) => ({
      application: t.field({ type: ApplicationRef, resolve: (payload) => payload.application }),
      vinWarnings: t.field({ type: [VinWarningRef], resolve: (payload) => payload.vinWarnings }),
      replayed: t.exposeBoolean('replayed', { description: 'True when the idempotency key matched an earlier submission.' }),
    }),
  });

const ApplicationChangePayloadRef = builder.objectRef<ApplicationChangePayload>('ApplicationChangePayload').implement({
  description: 'The application after a change.',
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, resolve: (payload) => payload.application }),
    changed: t.exposeBoolean('changed', { description: 'False when the application already was as requested.' }),
  }),
});

const DeleteApplicationPayload = builder.objectRef<{ application: AuctionApplication }>('DeleteApplicationPayload').implement({
  fields: (t) => ({
    applicationId: t.string({ resolve: (payload) => payload.application.id.toString() }),
  }),
});

builder.mutationField('createApplication', (t) =>
  t.field({
    type: CreateApplicationPayload,
    description: 'Submit an application for one of your listings. The offer must be a used car of yours and pass every eligibility check.',
    ...sellerOnly,
    errors: {
      types: [ValidationError, ...NOT_ELIGIBLE_ERRORS, PartnerUnavailableError, NotFoundError, ...AUTH_ERRORS],
      directResult: true,
      union: { name: 'CreateApplicationResult' },
    },
    args: { input: t.arg({ type: CreateApplicationInput, required: true }) },
    resolve: (_root, { input }, context) =>
      createApplication(applicationDependencies(context), {
        sellerId: sellerIdOf(context),
        offer: input.offer,
        inspectTime: input.inspectTime,
        inspectPlace: input.inspectPlace,
        idempotencyKey: input.idempotencyKey ?? undefined,
      }),
  }),
);

builder.mutationField('withdrawApplication', (t) =>
  t.field({
    type: ApplicationChangePayloadRef,
    description: 'Withdraw your application, possible until the auction starts.',
    ...sellerOnly,
    errors: {
      types: [ValidationError, NotFoundError, InvalidTransitionError, ...AUTH_ERRORS],
      directResult: true,
      union: { name: 'WithdrawApplicationResult' },
    },
    args: { id: t.arg.id({ required: true, description: 'The global ID or the application number.' }) },
    resolve: (_root, args, context) =>
      withdrawApplication(applicationDependencies(context), { applicationId: parseApplicationId(args.id), sellerId: sellerIdOf(context) }),
  }),
);

builder.mutationField('editApplication', (t) =>
  t.field({
    type: ApplicationChangePayloadRef,
    description: 'Replace the offer, set report URLs or the moderation status. Arguments left out keep their values.',
    ...internalOnly,
    errors: {
      types: [ValidationError, NotFoundError, InvalidTransitionError, ActiveApplicationExistsError, ...AUTH_ERRORS],
      directResult: true,
      union: { name: 'EditApplicationResult' },
    },
    args: {
      id: t.arg.id({ required: true }),
      offer: t.arg({ type: 'JSONObject', required: false, description: 'A new version of the listing; it must belong to the same seller.' }),
      proAutoUrl: t.arg.string({ required: false }),
      cmeEvaluationUrl: t.arg.string({ required: false }),
      cmeInspectionUrl: t.arg.string({ required: false }),
      moderationStatus: t.arg({ type: ModerationStatusEnum, required: false }),
    },
    resolve: (_root, args, context) =>
      editApplication(applicationDependencies(context), {
        applicationId: parseApplicationId(args.id),
        actor: actorOf(context.caller),
        offer: args.offer ?? undefined,
        proAutoUrl: args.proAutoUrl ?? undefined,
        cmeEvaluationUrl: args.cmeEvaluationUrl ?? undefined,
        cmeInspectionUrl: args.cmeInspectionUrl ?? undefined,
        moderationStatus: args.moderationStatus ?? undefined,
      }),
  }),
);

builder.mutationField('updateApplicationStatus', (t) =>
  t.field({
    type: ApplicationChangePayloadRef,
    description: 'Set the end-to-end status, as the lots service does during and after the auction.',
    ...internalOnly,
    errors: {
      types: [ValidationError, NotFoundError, InvalidTransitionError, ...AUTH_ERRORS],
      directResult: true,
      union: { name: 'UpdateApplicationStatusResult' },
    },
    args: {
      id: t.arg.id({ required: true }),
      status: t.arg({ type: StatusEnum, required: true }),
    },
    resolve: (_root, args, context) =>
      updateApplicationStatus(applicationDependencies(context), {
        applicationId: parseApplicationId(args.id),
        status: args.status,
        actor: actorOf(context.caller),
      }),
  }),
);

builder.mutationField('deleteApplication', (t) =>
  t.field({
    type: DeleteApplicationPayload,
    description: 'Erase an application, its history and its reports, for data-erasure requests.',
    ...internalOnly,
    errors: {
      types: [ValidationError, NotFoundError, PartnerUnavailableError, ...AUTH_ERRORS],
      directResult: true,
      union: { name: 'DeleteApplicationResult' },
    },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => ({
      application: await deleteApplication(applicationDependencies(context), { applicationId: parseApplicationId(args.id), actor: actorOf(context.caller) }),
    }),
  }),
);
