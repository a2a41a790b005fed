/**
 * Errors that a seller, an operator or a partner service can cause and act on. Each has a stable
 * code for clients to branch on. The text a person reads comes from the message catalogue in
 * src/i18n, in Russian or English, filled with `params`.
 */

export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'INTAKE_CLOSED',
  'OFFER_NOT_ELIGIBLE',
  'ACTIVE_APPLICATION_EXISTS',
  'INVALID_TRANSITION',
  'PARTNER_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorParams = Record<string, string | number | boolean | undefined>;

export class DomainError extends Error {
  override name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    readonly params: ErrorParams,
    /** English description for logs. The seller is shown the catalogue text instead. */
    logMessage: string,
  ) {
    super(logMessage);
  }
}

/**
 * An input value that breaks a rule. `field` is the path of the value in the request, such as
 * `offer.documents.vin`, and `reason` a key of the message catalogue.
 */
export class ValidationError extends DomainError {
  override name = 'ValidationError';

  constructor(
    readonly field: string,
    readonly reason: string,
    params: ErrorParams = {},
  ) {
    super('VALIDATION_FAILED', { field, reason, ...params }, `${field} is invalid: ${reason}${params.value === undefined ? '' : ` (${String(params.value)})`}.`);
  }
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';

  constructor(entity: string, id: string) {
    super('NOT_FOUND', { entity, id }, `${entity} ${id} was not found.`);
  }
}

export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';

  constructor(reason: string) {
    super('FORBIDDEN', { reason }, `Forbidden: ${reason}.`);
  }
}

export class IntakeClosedError extends DomainError {
  override name = 'IntakeClosedError';

  constructor() {
    super('INTAKE_CLOSED', {}, 'Intake of new applications is closed by the kill switch.');
  }
}

/** The offer failed an eligibility check; `check` names the check that failed. */
export class OfferNotEligibleError extends DomainError {
  override name = 'OfferNotEligibleError';

  constructor(
    readonly check: string,
    params: ErrorParams = {},
  ) {
    super('OFFER_NOT_ELIGIBLE', { check, ...params }, `The offer is not eligible for auction: the ${check} check said no.`);
  }
}

export class ActiveApplicationExistsError extends DomainError {
  override name = 'ActiveApplicationExistsError';

  constructor(readonly vin: string) {
    super('ACTIVE_APPLICATION_EXISTS', { vin }, `An active application for VIN ${vin} already exists.`);
  }
}

export class InvalidTransitionError extends DomainError {
  override name = 'InvalidTransitionError';

  constructor(
    readonly field: 'status' | 'applicationStatus',
    readonly from: string,
    readonly to: string,
    readonly allowed: readonly string[],
  ) {
    super(
      'INVALID_TRANSITION',
      { field, from, to, allowed: allowed.join(', ') || 'none' },
      `${field} cannot change from ${from} to ${to}; allowed next values: ${allowed.join(', ') || 'none'}.`,
    );
  }
}

/**
 * The reasons a ValidationError may carry. Each has a message in every language of the
 * catalogue in src/i18n; a reason missing from this list is shown with a generic message.
 */
export const VALIDATION_REASONS = [
  'required',
  'wrong_type',
  'too_small',
  'too_big',
  'invalid_format',
  'unknown_field',
  'vin_length',
  'vin_forbidden_letter',
  'vin_invalid_character',
  'category_not_cars',
  'section_not_used',
  'user_ref_format',
  'user_ref_mismatch',
  'price_not_a_number',
  'price_not_positive',
  'mileage_negative',
  'year_out_of_range',
  'region_missing',
  'inspect_time_past',
  'date_time_format',
  'inspect_place_empty',
  'inspect_place_too_long',
  'invalid_id',
  'invalid_url',
  'nothing_to_change',
  'range_reversed',
  'status_pair',
  'idempotency_key_reused',
] as const;

export type ValidationReason = (typeof VALIDATION_REASONS)[number];

/** Reasons an identified caller is forbidden an operation. */
export const FORBIDDEN_REASONS = ['internal_operation', 'seller_operation'] as const;

export type ForbiddenReason = (typeof FORBIDDEN_REASONS)[number];

/** Reasons a request's credentials were rejected. */
export const UNAUTHENTICATED_REASONS = [
  'missing_credentials',
  'invalid_token',
  'token_expired',
  'jwt_not_configured',
  'unknown_service_token',
  'user_id_header_not_allowed',
  'invalid_user_id',
] as const;

export type UnauthenticatedReason = (typeof UNAUTHENTICATED_REASONS)[number];

/**
 * The request carries no credentials, or credentials that could not be verified.
 * `userIdHeaderAccepted` makes the message for missing credentials offer `X-User-Id` too.
 */
export class UnauthenticatedError extends DomainError {
  override name = 'UnauthenticatedError';

  constructor(
    readonly reason: UnauthenticatedReason,
    detail?: string,
    options: { userIdHeaderAccepted?: boolean } = {},
  ) {
    super(
      'UNAUTHENTICATED',
      { reason, ...(options.userIdHeaderAccepted ? { userIdHeaderAccepted: true } : {}) },
      `The request is not authenticated: ${reason}${detail ? ` (${detail})` : ''}.`,
    );
  }
}

/**
 * A partner service failed or timed out, so the operation could not finish; nothing was
 * changed and the caller may retry. `check` names the eligibility check that needed the partner.
 */
export class PartnerUnavailableError extends DomainError {
  override name = 'PartnerUnavailableError';

  constructor(
    readonly partner: string,
    readonly check?: string,
    detail?: string,
  ) {
    super('PARTNER_UNAVAILABLE', { partner, check }, `Partner ${partner} is unavailable${detail ? `: ${detail}` : ''}.`);
  }
}
