import { GraphQLError } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import { DomainError, ValidationError } from '../domain/errors.js';
import { translateError } from '../i18n/index.js';
import type { GraphQLContext } from '../schema/builder.js';

/**
 * Give domain errors that end up in the response's `errors` list, rather than in a typed
 * result, the same code and translated message a typed result has: `extensions.code` and the
 * text in the request's language. Yoga masks every other error; this plugin logs those first,
 * with the request id, because the client sees only "Unexpected error.".
 */
export function useErrorMessages(): Plugin<GraphQLContext> {
  return {
    onExecute() {
      return {
        onExecuteDone(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult, args }) => {
            if (!result.errors || result.errors.length === 0) {
              return;
            }
            const context = args.contextValue as GraphQLContext;
            setResult({ ...result, errors: result.errors.map((error) => presentError(error, context)) });
          });
        },
      };
    },
  };
}

function presentError(error: GraphQLError, context: GraphQLContext): GraphQLError {
  const original = error.originalError;
  if (original instanceof DomainError) {
    return new GraphQLError(translateError(original, context.locale), {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...error.extensions, code: original.code, ...(original instanceof ValidationError ? { field: original.field } : {}) },
    });
  }
  if (original && !(original instanceof GraphQLError)) {
    const field = error.path?.join('.') ?? 'operation';
    context.logger.error({ err: original, path: field }, `GraphQL field ${field} failed with an unexpected error.`);
  }
  return error;
}
