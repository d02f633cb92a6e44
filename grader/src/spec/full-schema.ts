import { Type, type TSchema } from '@sinclair/typebox';
import { ACTION_KINDS } from '../actions/index.js';
import { CHECK_KINDS } from '../checks/index.js';
import { WORKLOAD_KINDS } from '../workloads/index.js';
import { actionSchema, checkSchema, LabHeader, workloadSchema } from './schema.js';

/** The published JSON Schema of lab.json: the common shape plus every workload, check and action kind, from the same TypeBox source. */
export function fullLabSchema(): TSchema {
  return Type.Object(
    {
      ...LabHeader,
      workload: Type.Union(WORKLOAD_KINDS.map((k) => workloadSchema(k.kind, k.params))),
      steps: Type.Array(
        Type.Union([...CHECK_KINDS.map((k) => checkSchema(k.kind, k.params)), ...ACTION_KINDS.map((k) => actionSchema(k.action, k.params))]),
        { minItems: 1, maxItems: 200 },
      ),
    },
    { $id: 'https://dockerlab.dev/lab.schema.json', title: 'dockerlab lab spec', additionalProperties: false },
  );
}
