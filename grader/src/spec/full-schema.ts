import { Type, type TSchema } from '@sinclair/typebox';
import { CHECK_KINDS } from '../checks/index.js';
import { checkSchema, LabHeader } from './schema.js';

/** The published JSON Schema of lab.json: the common shape plus every check kind's parameters, from the same TypeBox source. */
export function fullLabSchema(): TSchema {
  return Type.Object(
    { ...LabHeader, checks: Type.Array(Type.Union(CHECK_KINDS.map((k) => checkSchema(k.kind, k.params))), { minItems: 1 }) },
    { $id: 'https://dockerlab.dev/lab.schema.json', title: 'dockerlab lab spec', additionalProperties: false },
  );
}
