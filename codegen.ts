import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { schema } from './src/schema/index.js';

/**
 * Print the API schema, with the `@internal` markers on internal operations, to schema.graphql.
 * The schema is passed as SDL because it is built in code; schema-ast then prints it in its
 * stable form. test/schema.codegen.test.ts fails when the checked-in file is stale.
 */
const config: CodegenConfig = {
  schema: printSchemaWithDirectives(schema),
  generates: {
    'schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: true, commentDescriptions: false },
    },
  },
  silent: true,
};

export default config;
