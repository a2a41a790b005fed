import fs from 'node:fs';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen.js';
import { schema } from '../src/schema/index.js';

const INTERNAL_OPERATIONS = ['Mutation.deleteApplication', 'Mutation.editApplication', 'Mutation.setIntakeSettings', 'Mutation.updateApplicationStatus', 'Query.intakeSettings'];

describe('schema.graphql', () => {
  it('matches the schema in code', async () => {
    const [output] = await generate(config, false);
    const checkedIn = fs.readFileSync(path.join(import.meta.dirname, '..', 'schema.graphql'), 'utf8');

    // When this fails, run `npm run codegen` and commit schema.graphql.
    expect(checkedIn).toBe(output!.content);
  });

  it('marks exactly the internal operations', () => {
    const marked = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) =>
      Object.values(type.getFields())
        .filter((field) => field.astNode?.directives?.some((directive) => directive.name.value === 'internal'))
        .map((field) => `${type.name}.${field.name}`),
    );

    expect(marked.sort()).toEqual(INTERNAL_OPERATIONS);
  });
});
