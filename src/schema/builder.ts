import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import type { Caller } from '../auth/caller.js';
import type { ServiceContext } from '../context.js';
import { ForbiddenError } from '../domain/errors.js';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { Locale } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { DateTimeScalar } from './date-time.js';

/** The context every resolver receives for one request. */
export interface GraphQLContext {
  service: ServiceContext;
  caller: Caller;
  /** The language of the messages, from Accept-Language. */
  locale: Locale;
  requestId: string;
  /** The service logger with this request's id. */
  logger: Logger;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { seller: boolean; service: boolean };
  Directives: { internal: { locations: 'FIELD_DEFINITION'; args: {} } };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  // The errors plugin comes first so that it also turns scope-auth's rejections into typed
  // results, and before the prisma plugin as that plugin requires.
  plugins: [ErrorsPlugin, RelayPlugin, ScopeAuthPlugin, PrismaPlugin, DirectivesPlugin],
  defaultFieldNullability: false,
  directives: { useGraphQLToolsUnorderedDirectives: true },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // `node(id)` would load any application by id and skip the owner check of `application`.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  prisma: {
    client: (context) => context.service.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  scopeAuth: {
    authScopes: (context) => ({
      seller: context.caller.kind === 'seller',
      service: context.caller.kind === 'service',
    }),
    // Scopes are only `seller` and `service`, so a rejected identified caller is always one of
    // the two asking for the other's operation.
    unauthorizedError: (_parent, context) => {
      switch (context.caller.kind) {
        case 'anonymous':
          return context.caller.failure;
        case 'seller':
          return new ForbiddenError('internal_operation');
        case 'service':
          return new ForbiddenError('seller_operation');
      }
    },
  },
});

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);

/**
 * Options of a field that only other services and operators may use: the `@internal`
 * directive documents it in the printed schema, and the `service` scope enforces it.
 */
export const internalOnly = {
  directives: { internal: {} },
  authScopes: { service: true },
} as const;

export const sellerOnly = { authScopes: { seller: true } } as const;

export const sellerOrService = { authScopes: { $any: { seller: true, service: true } } } as const;
