import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';

/** A text given once for all languages, or once per language. */
export const LocalizedText = Type.Union(
  [Type.String({ minLength: 1, maxLength: 2000 }), Type.Object({ fr: Type.String({ maxLength: 2000 }), en: Type.String({ maxLength: 2000 }) }, { additionalProperties: false })],
  { description: 'A plain string, or {"fr": "…", "en": "…"}' },
);
export type LocalizedText = Static<typeof LocalizedText>;

export const Port = Type.Integer({ minimum: 1, maximum: 65535 });
export const DockerName = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 128 });

/**
 * A path inside the submission (or lab) folder: relative, no `..` segment, no NUL.
 * A spec must not make the grader read or build outside the folders it was given.
 */
export const SAFE_PATH_PATTERN = '^(?!/)(?![A-Za-z]:)(?!.*(^|[/\\\\])\\.\\.([/\\\\]|$))[^\\u0000]+$';
export const RelativePath = (description: string, fallback?: string) =>
  Type.String({ pattern: SAFE_PATH_PATTERN, minLength: 1, maxLength: 256, description, ...(fallback !== undefined ? { default: fallback } : {}) });

/** Seconds the grader may wait for something, with a ceiling that keeps a grading bounded. */
export const Seconds = (maximum: number, description?: string) => Type.Number({ minimum: 0, maximum, ...(description ? { description } : {}) });

export const Limits = Type.Object(
  {
    memoryMiB: Type.Optional(Type.Integer({ minimum: 16, maximum: 8192, default: 512 })),
    cpus: Type.Optional(Type.Number({ minimum: 0.1, maximum: 4, default: 1 })),
    pids: Type.Optional(Type.Integer({ minimum: 16, maximum: 4096, default: 256 })),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof Limits>;

export const StepId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64, description: 'Stable identifier, kebab-case; appears in every report and gradebook.' });

const Requires = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50, description: 'Ids of earlier steps (checks that must pass, actions that must be done); otherwise this step is skipped.' });

/** The fields every check has, whatever its kind. */
export const CheckBase = Type.Object({
  id: StepId,
  kind: Type.String(),
  points: Type.Number({ minimum: 0, maximum: 100 }),
  title: Type.Optional(LocalizedText),
  hint: Type.Optional(LocalizedText),
  requires: Type.Optional(Requires),
});
export type CheckBase = Static<typeof CheckBase>;

/** The fields every action has: an action is something the grader does between checks (rebuild, stop, POST…). */
export const ActionBase = Type.Object({
  id: StepId,
  action: Type.String(),
  title: Type.Optional(LocalizedText),
  requires: Type.Optional(Requires),
});
export type ActionBase = Static<typeof ActionBase>;

export const LabHeader = {
  $schema: Type.Optional(Type.String()),
  id: Type.String({ pattern: '^lab-[0-9]{2}$' }),
  title: LocalizedText,
  chapter: Type.Optional(Type.String({ maxLength: 500, description: 'The course chapter this lab practises.' })),
  lang: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')])),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 1800, default: 600, description: 'Deadline for the whole grading; past it, what is left is reported as not evaluated.' })),
};

/** The spec as validated in the first pass: workload and steps known only by their common fields. */
export const LabShape = Type.Object(
  {
    ...LabHeader,
    workload: Type.Object({ kind: Type.String() }, { additionalProperties: true }),
    steps: Type.Array(
      Type.Object({ id: StepId, title: Type.Optional(LocalizedText), requires: Type.Optional(Requires) }, { additionalProperties: true }),
      { minItems: 1, maxItems: 200 },
    ),
  },
  { additionalProperties: false },
);

export type CheckSpec = CheckBase & Record<string, unknown>;
export type ActionSpec = ActionBase & Record<string, unknown>;
export type StepSpec = CheckSpec | ActionSpec;
export type WorkloadSpec = { kind: string } & Record<string, unknown>;

export type Lab = Omit<Static<typeof LabShape>, 'steps' | 'workload'> & {
  workload: WorkloadSpec;
  steps: StepSpec[];
  /** The checks among the steps, in order (what is scored). */
  checks: CheckSpec[];
};

export function isCheck(step: StepSpec): step is CheckSpec {
  return typeof (step as { kind?: unknown }).kind === 'string';
}

export function isAction(step: StepSpec): step is ActionSpec {
  return typeof (step as { action?: unknown }).action === 'string';
}

type Params = TSchema & { properties?: Record<string, TSchema>; required?: string[] };

/** One check kind's full schema: the common fields, `kind` fixed, and its own parameters. */
export function checkSchema(kind: string, params: Params): TObject {
  return Type.Object(
    { ...CheckBase.properties, kind: Type.Literal(kind), ...(params.properties ?? {}) },
    { additionalProperties: false, required: [...(CheckBase.required ?? []), ...(params.required ?? [])] },
  );
}

/** One action kind's full schema. */
export function actionSchema(action: string, params: Params): TObject {
  return Type.Object(
    { ...ActionBase.properties, action: Type.Literal(action), ...(params.properties ?? {}) },
    { additionalProperties: false, required: [...(ActionBase.required ?? []), ...(params.required ?? [])] },
  );
}

/** One workload kind's full schema. */
export function workloadSchema(kind: string, params: Params): TObject {
  return Type.Object(
    { kind: Type.Literal(kind), ...(params.properties ?? {}) },
    { additionalProperties: false, required: ['kind', ...(params.required ?? [])] },
  );
}
