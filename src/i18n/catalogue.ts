import type { ForbiddenReason, UnauthenticatedReason, ValidationReason } from '../domain/errors.js';
import type { FilterDimension } from '../domain/intake-settings.js';
import type { VinWarning } from '../domain/vin.js';

export const LOCALES = ['ru', 'en'] as const;

export type Locale = (typeof LOCALES)[number];

/** Russian, because the service's sellers are on a Russian classifieds site. */
export const DEFAULT_LOCALE: Locale = 'ru';

/**
 * The texts of one language. Templates name their parameters in braces, such as `{field}`;
 * the parameters come from the error's `params`.
 */
export interface Catalogue {
  validation: Record<ValidationReason, string>;
  /** For a validation reason that has no text of its own. */
  validationFallback: string;
  forbidden: Record<ForbiddenReason, string>;
  unauthenticated: Record<UnauthenticatedReason, string>;
  /** For missing credentials where the configuration accepts the X-User-Id header too. */
  missingCredentialsOrUserId: string;
  notFound: { Application: string; fallback: string };
  intakeClosed: string;
  /** Texts of a global filter rejection, by the dimension the offer did not match. */
  globalFilter: Record<FilterDimension, string>;
  tradeInNotEligible: string;
  /** For an eligibility check without a text of its own. */
  notEligibleFallback: string;
  activeApplicationExists: string;
  invalidTransition: string;
  partnerUnavailable: string;
  /** Templates of an allowed range inside a global filter text. */
  range: { between: string; atLeast: string; atMost: string };
  warnings: Record<VinWarning['code'], string>;
}
