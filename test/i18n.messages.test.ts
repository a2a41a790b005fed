import { describe, expect, it } from 'vitest';
import {
  ActiveApplicationExistsError,
  DomainError,
  ERROR_CODES,
  FORBIDDEN_REASONS,
  ForbiddenError,
  IntakeClosedError,
  InvalidTransitionError,
  NotFoundError,
  OfferNotEligibleError,
  PartnerUnavailableError,
  UNAUTHENTICATED_REASONS,
  UnauthenticatedError,
  VALIDATION_REASONS,
  ValidationError,
} from '../src/domain/errors.js';
import { FILTER_DIMENSIONS } from '../src/domain/intake-settings.js';
import { CATALOGUES, chooseLocale, LOCALES, translateError } from '../src/i18n/index.js';

/** One error of every code, with every parameter its message uses. */
const ONE_ERROR_PER_CODE: Record<(typeof ERROR_CODES)[number], DomainError> = {
  VALIDATION_FAILED: new ValidationError('offer.documents.vin', 'vin_length', { value: 'XTA', length: 3 }),
  NOT_FOUND: new NotFoundError('Application', '7'),
  FORBIDDEN: new ForbiddenError('internal_operation'),
  UNAUTHENTICATED: new UnauthenticatedError('token_expired'),
  INTAKE_CLOSED: new IntakeClosedError(),
  OFFER_NOT_ELIGIBLE: new OfferNotEligibleError('TRADE_IN'),
  ACTIVE_APPLICATION_EXISTS: new ActiveApplicationExistsError('XTAGFK330JY144213'),
  INVALID_TRANSITION: new InvalidTransitionError('status', 'NEW', 'FINISHED', ['WAITING_INSPECTION']),
  PARTNER_UNAVAILABLE: new PartnerUnavailableError('trade-in', 'TRADE_IN'),
};

describe('translateError', () => {
  it.each(LOCALES)('offers X-User-Id in %s where it is accepted', (locale) => {
    const message = translateError(new UnauthenticatedError('missing_credentials', undefined, { userIdHeaderAccepted: true }), locale);

    expect(message).toContain('Authorization: Bearer');
    expect(message).toContain('X-User-Id');
  });

  it.each(LOCALES)('leaves X-User-Id out in %s otherwise', (locale) => {
    const message = translateError(new UnauthenticatedError('missing_credentials'), locale);

    expect(message).toContain('Authorization: Bearer');
    expect(message).not.toContain('X-User-Id');
  });
});

describe('chooseLocale', () => {
  it('defaults to Russian', () => {
    expect(chooseLocale(undefined)).toBe('ru');
    expect(chooseLocale('')).toBe('ru');
    expect(chooseLocale('de-DE,fr;q=0.8')).toBe('ru');
  });

  it('picks English by region tag', () => {
    expect(chooseLocale('en-GB')).toBe('en');
  });

  it('follows quality values', () => {
    expect(chooseLocale('ru;q=0.4, en;q=0.9')).toBe('en');
    expect(chooseLocale('en;q=0.4, ru')).toBe('ru');
  });

  it('skips refused languages', () => {
    expect(chooseLocale('en;q=0, ru;q=0.1')).toBe('ru');
  });
});

describe('message catalogue', () => {
  it.each(LOCALES)('has a %s text for every validation reason', (locale) => {
    for (const reason of VALIDATION_REASONS) {
      expect(CATALOGUES[locale].validation[reason], reason).toMatch(/\S/);
    }
  });

  it.each(LOCALES)('has %s texts for forbidden and unauthenticated reasons', (locale) => {
    for (const reason of FORBIDDEN_REASONS) {
      expect(CATALOGUES[locale].forbidden[reason], reason).toMatch(/\S/);
    }
    for (const reason of UNAUTHENTICATED_REASONS) {
      expect(CATALOGUES[locale].unauthenticated[reason], reason).toMatch(/\S/);
    }
  });

  it.each(ERROR_CODES)('translates %s into both languages', (code) => {
    const error = ONE_ERROR_PER_CODE[code];
    const russian = translateError(error, 'ru');
    const english = translateError(error, 'en');

    expect(russian).toMatch(/[а-яё]/i);
    expect(english).not.toMatch(/[а-яё]/i);
    expect(russian).not.toMatch(/\{\w+\}/);
    expect(english).not.toMatch(/\{\w+\}/);
  });

  it('uses only placeholders of the English text in Russian', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const reason of VALIDATION_REASONS) {
      expect(placeholders(CATALOGUES.ru.validation[reason]), reason).toEqual(placeholders(CATALOGUES.en.validation[reason]));
    }
  });

  it.each(FILTER_DIMENSIONS)('explains the %s filter in both languages', (dimension) => {
    const error = new OfferNotEligibleError('GLOBAL_FILTER', { dimension, value: 5, min: 1, max: 3 });
    expect(translateError(error, 'ru')).toMatch(/[а-яё]/i);
    expect(translateError(error, 'en')).toContain('5');
  });

  it('names the field in validation messages', () => {
    const error = new ValidationError('offer.price_info.price', 'price_not_a_number', { value: '1 050 000 ₽' });
    expect(translateError(error, 'ru')).toBe('Цена в поле offer.price_info.price должна быть числом, а получено «1 050 000 ₽». Укажите цену цифрами, без пробелов и знака валюты.');
    expect(translateError(error, 'en')).toBe('The price in offer.price_info.price must be a number, but it is "1 050 000 ₽". Give the price in digits, without spaces or a currency sign.');
  });

  it('falls back for an unknown reason', () => {
    const error = new ValidationError('offer.custom', 'no_such_reason');
    expect(translateError(error, 'en')).toBe('The field offer.custom is invalid. Check the value.');
  });
});
