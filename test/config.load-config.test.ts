import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTING_NAMES } from '../src/config.js';

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
    ['LOT_SINK', 'fax', 'LOT_SINK is invalid ("fax"): expected one of lots, telegram.'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL is invalid ("loud"): expected one of fatal, error, warn, info, debug, trace, silent.'],
    ['NODE_ENV', 'staging', 'NODE_ENV is invalid ("staging"): expected one of development, test, production.'],
    ['PROCESS_ROLE', 'both', 'PROCESS_ROLE is invalid ("both"): expected one of all, api, worker.'],
    ['PORT', '99999', 'PORT is invalid ("99999"): expected a port number from 0 to 65535.'],
    ['PORT', '-1', 'PORT is invalid ("-1"): expected a port number from 0 to 65535.'],
    ['PORT', '80.5', 'PORT is invalid ("80.5"): expected a port number from 0 to 65535.'],
    ['EMBEDDED_POSTGRES_PORT', '0', 'EMBEDDED_POSTGRES_PORT is invalid ("0"): expected a port number from 1 to 65535.'],
    ['S3_LOCAL_PORT', '70000', 'S3_LOCAL_PORT is invalid ("70000"): expected a port number from 0 to 65535.'],
    ['PARTNER_RETRIES', '11', 'PARTNER_RETRIES is invalid ("11"): expected a whole number from 0 to 10.'],
  ])('names a malformed %s in one line', (name, value, message) => {
    const error = configError({ [name]: value });
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
  });

  it.each(SETTING_NAMES)('explains a malformed %s in plain words', (name) => {
    for (const value of ['fax', '-1', '1.5', '99999']) {
      let message = '';
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        message = (error as Error).message;
      }
      // zod's own messages start with "Invalid", "Too big" or "Too small", and list choices as "a"|"b".
      expect(message, `${name}=${value}`).not.toMatch(/Invalid|received|Too big|Too small|"\|"/);
    }
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
