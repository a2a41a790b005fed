import {
  ActiveApplicationExistsError,
  DomainError,
  ERROR_CODES,
  ForbiddenError,
  IntakeClosedError,
  InvalidTransitionError,
  NotFoundError,
  OfferNotEligibleError,
  PartnerUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from '../domain/errors.js';
import { ELIGIBILITY_CHECKS } from '../domain/eligibility.js';
import { translateError } from '../i18n/index.js';
import { builder } from './builder.js';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'A stable code of a failure, for clients to branch on.',
  values: ERROR_CODES,
});

export const EligibilityCheckEnum = builder.enumType('EligibilityCheck', {
  description: 'The eligibility checks, in the order they run.',
  values: ELIGIBILITY_CHECKS,
});

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'A failure the caller can act on. Nothing was changed.',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (error) => error.code }),
    message: t.string({
      description: 'A text for a person, in Russian or English by Accept-Language.',
      resolve: (error, _args, context) => translateError(error, context.locale),
    }),
  }),
});

// Every error type with a `check` field declares it nullable, because clients select it from
// several members of one result union, and GraphQL rejects fields of one name whose types differ.

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field', { description: 'The path of the invalid value, such as `offer.documents.vin`.' }),
    reason: t.exposeString('reason'),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    id: t.string({ resolve: (error) => String(error.params.id) }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    reason: t.string({ resolve: (error) => String(error.params.reason) }),
  }),
});

builder.objectType(UnauthenticatedError, {
  name: 'UnauthenticatedError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    reason: t.exposeString('reason'),
  }),
});

builder.objectType(IntakeClosedError, {
  name: 'IntakeClosedError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    check: t.field({ type: EligibilityCheckEnum, nullable: true, resolve: () => 'KILL_SWITCH' as const }),
  }),
});

builder.objectType(OfferNotEligibleError, {
  name: 'OfferNotEligibleError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    check: t.field({ type: EligibilityCheckEnum, nullable: true, resolve: (error) => error.check as (typeof ELIGIBILITY_CHECKS)[number] }),
    dimension: t.string({
      nullable: true,
      description: 'The dimension of the global filter the offer did not match: region, mark, year, price or mileage.',
      resolve: (error) => (error.params.dimension === undefined ? null : String(error.params.dimension)),
    }),
  }),
});

builder.objectType(ActiveApplicationExistsError, {
  name: 'ActiveApplicationExistsError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    vin: t.exposeString('vin'),
    check: t.field({ type: EligibilityCheckEnum, nullable: true, resolve: () => 'ACTIVE_APPLICATION' as const }),
  }),
});

builder.objectType(InvalidTransitionError, {
  name: 'InvalidTransitionError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field'),
    from: t.exposeString('from'),
    to: t.exposeString('to'),
    allowed: t.exposeStringList('allowed'),
  }),
});

builder.objectType(PartnerUnavailableError, {
  name: 'PartnerUnavailableError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    partner: t.exposeString('partner'),
    check: t.field({
      type: EligibilityCheckEnum,
      nullable: true,
      description: 'The eligibility check that needed the partner, when there was one.',
      resolve: (error) => (error.check as (typeof ELIGIBILITY_CHECKS)[number] | undefined) ?? null,
    }),
  }),
});

/** Errors every field with authentication can return. */
export const AUTH_ERRORS = [UnauthenticatedError, ForbiddenError] as const;

/** The errors an eligibility verdict can carry. */
export const NOT_ELIGIBLE_ERRORS = [IntakeClosedError, OfferNotEligibleError, ActiveApplicationExistsError] as const;
