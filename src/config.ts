import { z } from 'zod';

/**
 * The service's settings, read once from the environment at start. Every setting has a default
 * that runs the whole service on one machine (embedded PostgreSQL, local S3, partner sandboxes),
 * except in production, where the secrets and partner URLs must be set.
 */

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

const positiveInt = z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').positive('expected a number above 0');

/** Build a whole-number setting from `min` to `max` whose message gives the range, because zod's own names one bound. */
function wholeNumberInRange(min: number, max: number, noun = 'a whole number') {
  const expected = `expected ${noun} from ${min} to ${max}`;
  return z.coerce.number({ error: `expected ${noun}` }).int(expected).min(min, expected).max(max, expected);
}

/** Build a setting that takes one of `values` and lists them plainly in its message, instead of zod's `"a"|"b"`. */
function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, { error: `expected one of ${values.join(', ')}` });
}

/**
 * `name:token` pairs separated by commas, such as `lots:s3cret,moderation:0ther`. The name is
 * the calling service, recorded in the history as the actor.
 */
const serviceTokens = z
  .string()
  .transform((value, context) => {
    const tokens = new Map<string, string>();
    for (const pair of value.split(',').map((part) => part.trim()).filter(Boolean)) {
      const separator = pair.indexOf(':');
      const name = pair.slice(0, separator);
      const token = pair.slice(separator + 1);
      if (separator <= 0 || token.length < 8) {
        context.addIssue({ code: 'custom', message: 'expected name:token pairs separated by commas, each token at least 8 characters' });
        return z.NEVER;
      }
      tokens.set(token, name);
    }
    return tokens;
  });

const environmentSchema = z.object({
  NODE_ENV: oneOf(['development', 'test', 'production']).default('development'),
  PROCESS_ROLE: oneOf(['all', 'api', 'worker']).default('all'),
  PORT: wholeNumberInRange(0, 65535, 'a port number').default(4000),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// URL' }).optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  EMBEDDED_POSTGRES_DIR: z.string().default('.data/postgres'),
  EMBEDDED_POSTGRES_PORT: wholeNumberInRange(1, 65535, 'a port number').default(5433),

  JWT_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  JWT_JWKS_URL: httpUrl.optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  ALLOW_USER_ID_HEADER: booleanFlag.optional(),
  SERVICE_TOKENS: serviceTokens.default(new Map([['local-lots-token', 'lots'], ['local-operator-token', 'operator']])),

  SANDBOXES: booleanFlag.optional(),
  TRADE_IN_URL: httpUrl.optional(),
  MODERATION_URL: httpUrl.optional(),
  MODERATION_VERDICT_SECRET: z.string().min(16, 'expected at least 16 characters').default('local-moderation-verdict-secret'),
  CARFAX_URL: httpUrl.optional(),
  CARFAX_POLL_MINUTES: positiveInt.max(59, 'expected at most 59 minutes').default(5),
  /** Delay of the first poll after an order whose report CARFAX did not return at once. The crontab polls after that. */
  CARFAX_FIRST_POLL_SECONDS: positiveInt.max(3600, 'expected at most 3600 seconds').default(10),
  CME_URL: httpUrl.optional(),
  CME_WEBHOOK_SECRET: z.string().min(16, 'expected at least 16 characters').default('local-cme-webhook-secret'),
  CME_WEBHOOK_TOLERANCE_SECONDS: positiveInt.default(300),
  LOT_SINK: oneOf(['lots', 'telegram']).default('lots'),
  LOTS_URL: httpUrl.optional(),
  TELEGRAM_API_URL: httpUrl.optional(),
  TELEGRAM_BOT_TOKEN: z.string().default('local-bot-token'),
  TELEGRAM_CHAT_ID: z.string().default('-1000000000001'),
  PARTNER_TIMEOUT_MS: positiveInt.default(5000),
  PARTNER_RETRIES: wholeNumberInRange(0, 10).default(3),

  S3_ENDPOINT: httpUrl.optional(),
  S3_PUBLIC_URL: httpUrl.optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name').default('auction-reports'),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().default('S3RVER'),
  S3_SECRET_ACCESS_KEY: z.string().default('S3RVER'),
  S3_LOCAL_DIR: z.string().default('.data/s3'),
  // A fixed port keeps the report URLs saved by earlier local runs valid after a restart.
  S3_LOCAL_PORT: wholeNumberInRange(0, 65535, 'a port number').default(4568),

  KAFKA_BROKERS: z.string().regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'expected host:port pairs separated by commas').optional(),
  KAFKA_CLIENT_ID: z.string().default('auction-applications'),
  KAFKA_EVENTS_TOPIC: z.string().default('auction.application-events'),
  KAFKA_VERDICTS_TOPIC: z.string().default('auction.moderation-verdicts'),
  KAFKA_VERDICTS_DLQ_TOPIC: z.string().default('auction.moderation-verdicts.dlq'),
  KAFKA_CONSUMER_GROUP: z.string().default('auction-applications'),

  WORKER_CONCURRENCY: positiveInt.default(5),
  STUCK_AFTER_MINUTES: positiveInt.default(30),
  /**
   * Days a published outbox event is kept for investigations before the daily prune deletes it.
   * Unpublished events are never deleted.
   */
  OUTBOX_RETENTION_DAYS: positiveInt.default(7),
  /**
   * Days an idempotency record of a client retry, CME webhook or moderation verdict is kept. A
   * repeat that arrives later is handled as new, so keep this above the longest time clients
   * and partners retry.
   */
  IDEMPOTENCY_RETENTION_DAYS: positiveInt.default(2),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(30000),
});

export type Environment = z.infer<typeof environmentSchema>;

/** The names of every environment variable the service reads. */
export const SETTING_NAMES = Object.keys(environmentSchema.shape) as (keyof Environment)[];

export interface Config extends Environment {
  /** Whether the seller may be named by the `X-User-Id` header instead of a JWT. */
  allowUserIdHeader: boolean;
  /** Whether the partner sandboxes and the local S3 server start with the service. */
  sandboxes: boolean;
}

/** A setting that is missing or malformed. The message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validate the environment. Throws a ConfigError naming the first invalid variable and the
 * expected form, so a misconfigured process stops before it serves anything.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const value = env[name];
    const shown = value === undefined ? 'is missing' : `is invalid (${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value)})`;
    throw new ConfigError(`${name} ${shown}: ${issue.message}.`);
  }

  const environment = parsed.data;
  const production = environment.NODE_ENV === 'production';
  if (production) {
    for (const name of ['DATABASE_URL', 'S3_ENDPOINT', 'TRADE_IN_URL', 'MODERATION_URL', 'CARFAX_URL', 'CME_URL'] as const) {
      if (!environment[name]) {
        throw new ConfigError(`${name} is missing: production runs need it set to the real service's URL.`);
      }
    }
    if (!environment.JWT_SECRET && !environment.JWT_JWKS_URL) {
      throw new ConfigError('JWT_SECRET or JWT_JWKS_URL is missing: production runs need one of them to verify seller tokens.');
    }
    if (!env.SERVICE_TOKENS) {
      throw new ConfigError('SERVICE_TOKENS is missing: production runs need name:token pairs, such as lots:<token>.');
    }
  }
  if (environment.LOT_SINK === 'telegram' && production && !env.TELEGRAM_BOT_TOKEN) {
    throw new ConfigError('TELEGRAM_BOT_TOKEN is missing: LOT_SINK=telegram needs the bot token.');
  }

  return {
    ...environment,
    allowUserIdHeader: environment.ALLOW_USER_ID_HEADER ?? !production,
    sandboxes: environment.SANDBOXES ?? !production,
  };
}
