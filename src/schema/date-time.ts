import { GraphQLError, GraphQLScalarType, type ValueNode } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';

/**
 * A DateTime input that is not an RFC 3339 date-time (the ISO 8601 profile with a time zone). It
 * carries `extensions.code = VALIDATION_FAILED` at once. The path of the value is not known
 * while a scalar parses it, so useErrorMessages finds the path and translates the message.
 */
export class InvalidDateTimeError extends GraphQLError {
  constructor(
    readonly value: unknown,
    cause: GraphQLError,
    node?: ValueNode,
  ) {
    super(cause.message, { nodes: node, originalError: cause, extensions: { code: 'VALIDATION_FAILED' } });
    this.name = 'InvalidDateTimeError';
  }
}

const base = DateTimeResolver.toConfig();

/** graphql-scalars' DateTime, whose parse errors are InvalidDateTimeErrors. */
export const DateTimeScalar = new GraphQLScalarType<Date, unknown>({
  ...base,
  parseValue(value) {
    try {
      return base.parseValue!(value) as Date;
    } catch (error) {
      throw error instanceof GraphQLError ? new InvalidDateTimeError(value, error) : error;
    }
  },
  parseLiteral(node, variables) {
    try {
      return base.parseLiteral!(node, variables) as Date;
    } catch (error) {
      const value = 'value' in node ? node.value : undefined;
      throw error instanceof GraphQLError ? new InvalidDateTimeError(value, error, node) : error;
    }
  },
});
