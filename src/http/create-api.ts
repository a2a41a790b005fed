import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import { createCallerIdentifier, type IdentifyCaller } from '../auth/identify.js';
import type { ServiceContext } from '../context.js';
import { chooseLocale } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { schema as defaultSchema, type GraphQLContext } from '../schema/index.js';
import { useReadiness } from './use-readiness.js';
import { useErrorMessages } from './use-error-messages.js';
import { requestIdOf, useRequestId } from './use-request-id.js';

export interface ApiOptions {
  /** More yoga plugins, such as metrics or webhooks; they run after the built-in ones. Default: none. */
  plugins?: Plugin<any>[];
  /** Default: the schema of src/schema. */
  schema?: GraphQLSchema;
  /** The function that identifies callers. Default: one built from the configuration's JWT and token settings. */
  identifyCaller?: IdentifyCaller;
  /** Serve GraphiQL at /graphql to browsers. Default: true outside production. */
  graphiql?: boolean;
  /** Makes `/ready` fail once it returns true, so load balancers stop sending requests. Default: never. */
  isShuttingDown?: () => boolean;
}

export type Api = YogaServerInstance<{}, GraphQLContext>;

/**
 * Build the API: GraphQL at `/graphql`, liveness at `/health` and readiness at `/ready`. Every
 * request gets an id (`X-Request-Id`), a child logger with that id, the caller identified from
 * its headers and the language of its messages.
 */
export function createApi(service: ServiceContext, options: ApiOptions = {}): Api {
  const identifyCaller = options.identifyCaller ?? createCallerIdentifier(service.config, service.logger);
  const production = service.config.NODE_ENV === 'production';

  return createYoga<{}, GraphQLContext>({
    schema: options.schema ?? defaultSchema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: options.graphiql ?? !production,
    batching: false,
    logging: yogaLogger(service.logger),
    maskedErrors: { isDev: !production },
    context: async ({ request }): Promise<GraphQLContext> => {
      const requestId = requestIdOf(request);
      const logger = service.logger.child({ requestId });
      const caller = await identifyCaller(request.headers);
      if (caller.kind === 'anonymous' && caller.failure.reason !== 'missing_credentials') {
        logger.info({ reason: caller.failure.reason }, `The request's credentials were rejected: ${caller.failure.message}`);
      }
      return { service, caller, locale: chooseLocale(request.headers.get('accept-language')), requestId, logger };
    },
    plugins: [
      useRequestId(),
      useErrorMessages(),
      useReadiness({ pool: service.db.pool, logger: service.logger, isShuttingDown: options.isShuttingDown }),
      ...(options.plugins ?? []),
    ],
  });
}

/** Yoga's own log lines, such as request parse failures, through pino. */
function yogaLogger(logger: Logger) {
  const child = logger.child({ component: 'graphql-yoga' });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    if (first instanceof Error) {
      child[level]({ err: first }, first.message);
    } else {
      child[level](rest.length > 0 ? { details: rest } : {}, String(first));
    }
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
