import { DomainError, type ErrorParams } from '../domain/errors.js';
import type { VinWarning } from '../domain/vin.js';
import { DEFAULT_LOCALE, LOCALES, type Catalogue, type Locale } from './catalogue.js';
import { en } from './en.js';
import { ru } from './ru.js';

export { DEFAULT_LOCALE, LOCALES, type Catalogue, type Locale } from './catalogue.js';

export const CATALOGUES: Record<Locale, Catalogue> = { ru, en };

/**
 * Choose the language of the messages from an Accept-Language header: the supported language
 * with the highest quality value, and Russian when none is supported. Only the primary subtag
 * counts, so `en-GB` means English.
 */
export function chooseLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) {
    return DEFAULT_LOCALE;
  }
  let best: { locale: Locale; quality: number } | undefined;
  for (const range of acceptLanguage.split(',')) {
    const [tag = '', ...parameters] = range.trim().split(';');
    const primary = tag.trim().toLowerCase().split('-')[0];
    const qualityParameter = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
    const quality = qualityParameter === undefined ? 1 : Number(qualityParameter.slice(2));
    const locale = LOCALES.find((candidate) => candidate === primary);
    if (locale && Number.isFinite(quality) && quality > 0 && (!best || quality > best.quality)) {
      best = { locale, quality };
    }
  }
  return best?.locale ?? DEFAULT_LOCALE;
}

/** Return the message of a domain error for a person, in the given language. */
export function translateError(error: DomainError, locale: Locale): string {
  const catalogue = CATALOGUES[locale];
  const params = error.params;
  switch (error.code) {
    case 'VALIDATION_FAILED':
      return fill(pick(catalogue.validation, params.reason) ?? catalogue.validationFallback, params);
    case 'FORBIDDEN':
      return fill(pick(catalogue.forbidden, params.reason) ?? catalogue.forbidden.internal_operation, params);
    case 'UNAUTHENTICATED':
      if (params.reason === 'missing_credentials' && params.userIdHeaderAccepted) {
        return catalogue.missingCredentialsOrUserId;
      }
      return fill(pick(catalogue.unauthenticated, params.reason) ?? catalogue.unauthenticated.missing_credentials, params);
    case 'NOT_FOUND':
      return fill(pick(catalogue.notFound, params.entity) ?? catalogue.notFound.fallback, params);
    case 'INTAKE_CLOSED':
      return fill(catalogue.intakeClosed, params);
    case 'OFFER_NOT_ELIGIBLE':
      return notEligibleMessage(catalogue, params);
    case 'ACTIVE_APPLICATION_EXISTS':
      return fill(catalogue.activeApplicationExists, params);
    case 'INVALID_TRANSITION':
      return fill(catalogue.invalidTransition, params);
    case 'PARTNER_UNAVAILABLE':
      return fill(catalogue.partnerUnavailable, params);
  }
}

/** Return the message of a VIN warning for a person, in the given language. */
export function translateWarning(warning: VinWarning, locale: Locale): string {
  return fill(CATALOGUES[locale].warnings[warning.code], { expected: warning.expected, actual: warning.actual });
}

function notEligibleMessage(catalogue: Catalogue, params: ErrorParams): string {
  if (params.check === 'TRADE_IN') {
    return catalogue.tradeInNotEligible;
  }
  const template = params.check === 'GLOBAL_FILTER' ? pick(catalogue.globalFilter, params.dimension) : undefined;
  if (!template) {
    return catalogue.notEligibleFallback;
  }
  const allowed = params.allowed ?? rangeText(catalogue, params.min, params.max);
  return fill(template, { ...params, allowed });
}

function rangeText(catalogue: Catalogue, min: ErrorParams[string], max: ErrorParams[string]): string | undefined {
  if (min !== undefined && max !== undefined) {
    return fill(catalogue.range.between, { min, max });
  }
  if (min !== undefined) {
    return fill(catalogue.range.atLeast, { min });
  }
  if (max !== undefined) {
    return fill(catalogue.range.atMost, { max });
  }
  return undefined;
}

function pick<T extends object>(texts: T, key: ErrorParams[string]): string | undefined {
  return typeof key === 'string' && Object.hasOwn(texts, key) ? (texts[key as keyof T] as string) : undefined;
}

/** Put the parameters into a template's `{name}` slots; a slot without a parameter stays empty. */
function fill(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (_slot, name: string) => {
    const value = params[name];
    return value === undefined ? '' : String(value);
  });
}
