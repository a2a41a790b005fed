import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import { DomainError, ValidationError } from '../domain/errors.js';
import { chooseLocale, translateError, type Locale } from '../i18n/index.js';
import { InvalidDateTimeError } from '../schema/date-time.js';
import type { GraphQLContext } from '../schema/builder.js';

/**
 * Give domain errors that end up in the response's `errors` list, rather than in a typed
 * result, the same code and translated message a typed result has: `extensions.code` and the
 * text in the request's language. Yoga masks every other error; this plugin logs those first,
 * with the request id, because the client sees only "Unexpected error.".
 *
 * A DateTime input that does not parse gets the same treatment, as a VALIDATION_FAILED error on
 * the path of the value: a literal in the query fails validation, and a variable fails before
 * execution starts.
 */
export function useErrorMessages(): Plugin<GraphQLContext> {
  return {
    onValidate({ params, context }) {
      return ({ valid, result, setResult }) => {
        if (valid || !result.some((error) => error instanceof InvalidDateTimeError)) {
          return;
        }
        // Validation runs before the context factory, so the locale is read from the request here.
        const request = (context as { request?: Request }).request;
        const locale = chooseLocale(request?.headers.get('accept-language'));
        setResult(
          result.map((error) => (error instanceof InvalidDateTimeError ? presentInvalidDateTime(error, error, argumentPath(params.documentAST, error.nodes?.[0]), locale) : error)),
        );
      };
    },
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
  if (original instanceof InvalidDateTimeError) {
    return presentInvalidDateTime(error, original, variablePath(error), context.locale);
  }
  if (original && !(original instanceof GraphQLError)) {
    const field = error.path?.join('.') ?? 'operation';
    context.logger.error({ err: original, path: field }, `GraphQL field ${field} failed with an unexpected error.`);
  }
  return error;
}

function presentInvalidDateTime(error: GraphQLError, invalid: InvalidDateTimeError, field: string, locale: Locale): GraphQLError {
  const value = typeof invalid.value === 'string' ? invalid.value : JSON.stringify(invalid.value);
  const translated = new ValidationError(field, 'date_time_format', { value });
  return new GraphQLError(translateError(translated, locale), {
    nodes: error.nodes,
    path: error.path,
    extensions: { ...error.extensions, code: translated.code, field },
  });
}

/**
 * Return the path of a variable's invalid value, such as `input.inspectTime`. graphql-js (16)
 * names it only in its message, `Variable "$input" got invalid value ... at "input.inspectTime";`,
 * and leaves out the `at` part when the variable itself is the value.
 */
function variablePath(error: GraphQLError): string {
  const match = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; /s.exec(error.message);
  if (match) {
    return match[2]!;
  }
  const definition = error.nodes?.[0];
  return definition?.kind === Kind.VARIABLE_DEFINITION ? definition.variable.name.value : 'variables';
}

/** Return the argument and input field names that lead to `target` in the document, such as `input.inspectTime`. */
function argumentPath(document: DocumentNode, target: ASTNode | undefined): string {
  const names: string[] = [];
  let found: string | undefined;
  visit(document, {
    enter(node) {
      if (found !== undefined) {
        return false;
      }
      if (node === target) {
        found = names.join('.');
        return false;
      }
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) {
        names.push(node.name.value);
      }
      return undefined;
    },
    leave(node) {
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) {
        names.pop();
      }
    },
  });
  return found || 'query';
}
