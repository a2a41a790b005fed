import { DirectiveLocation, GraphQLDirective, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './errors.js';
import './enums.js';
import './vin.js';
import './history.js';
import './application.js';
import './application-mutations.js';
import './auctionability.js';
import './intake-settings.js';
import './subscription.js';

export { builder, type GraphQLContext } from './builder.js';

/** Marks an operation for other services and operators: it needs an X-Service-Token. */
export const internalDirective = new GraphQLDirective({
  name: 'internal',
  description: 'Only other services and operators may call this field: it needs an X-Service-Token.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
});

builder.queryType({});
builder.mutationType({});

/** Build the schema of the API from every type registered on the builder. */
export function buildSchema(): GraphQLSchema {
  return builder.toSchema({ directives: [internalDirective], sortSchema: true });
}

export const schema = buildSchema();
