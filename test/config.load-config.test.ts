import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** Every setting production requires except a JWT key. */
const PRODUCTION_WITHOUT_JWT = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/app',
  S3_ENDPOINT: 'https://s3.example',
  TRADE_IN_URL: 'https://trade-in.example',
  MODERATION_URL: 'https://moderation.example',
  CARFAX_URL: 'https://carfax.example',
  CME_URL: 'https://cme.example',
  SERVICE_TOKENS: 'lots:production-token-0123',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error(`The configuration ${JSON.stringify(env)} was accepted.`);
}

describe('loadConfig', () => {
  it('runs on defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(4000);
    expect(config.allowUserIdHeader).toBe(true);
  });

  it.each([
    ['PORT', 'forty', 'PORT is invalid ("forty"): expected a port number.'],
    ['DATABASE_URL', 'mysql://localhost/db', 'DATABASE_URL is invalid ("mysql://localhost/db"): expected a postgres:// URL.'],
    ['JWT_SECRET', 'short', 'JWT_SECRET is invalid ("short"): expected at least 16 characters.'],
    ['TRADE_IN_URL', 'trade-in.local', 'TRADE_IN_URL is invalid ("trade-in.local"): expected an http:// or https:// URL.'],
    ['ALLOW_USER_ID_HEADER', 'maybe', 'ALLOW_USER_ID_HEADER is invalid ("maybe"): expected true or false.'],
  ])('names a malformed %s in one line', (name, value, message) => {
    const error = configError({ [name]: value });
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
  });

  it('names malformed service tokens', () => {
    const error = configError({ SERVICE_TOKENS: 'lots' });
    expect(error.message).toMatch(/^SERVICE_TOKENS is invalid/);
  });

  it('reads service tokens by token', () => {
    const config = loadConfig({ SERVICE_TOKENS: 'lots:lots-token-0123, operator:operator-token-0123' });
    expect(config.SERVICE_TOKENS.get('lots-token-0123')).toBe('lots');
    expect(config.SERVICE_TOKENS.get('operator-token-0123')).toBe('operator');
  });

  it('refuses X-User-Id in production by default', () => {
    const config = loadConfig({ ...PRODUCTION_WITHOUT_JWT, JWT_SECRET: 'production-secret-0123456789' });
    expect(config.allowUserIdHeader).toBe(false);
  });

  it('requires a JWT key in production', () => {
    const error = configError(PRODUCTION_WITHOUT_JWT);
    expect(error.message).toMatch(/^JWT_SECRET or JWT_JWKS_URL is missing/);
  });
});
