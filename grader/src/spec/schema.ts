import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A text given once for all languages, or once per language. */
export const LocalizedText = Type.Union(
  [Type.String({ minLength: 1 }), Type.Object({ fr: Type.String(), en: Type.String() }, { additionalProperties: false })],
  { description: 'A plain string, or {"fr": "…", "en": "…"}' },
);
export type LocalizedText = Static<typeof LocalizedText>;

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const DockerName = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' });

export const HttpReady = Type.Object(
  {
    port: Port,
    path: Type.Optional(Type.String({ default: '/', pattern: '^/' })),
  },
  { additionalProperties: false },
);

export const RunSpec = Type.Object(
  {
    ports: Type.Optional(Type.Array(Port, { description: 'Container ports published on random host ports (127.0.0.1).', default: [] })),
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    ready: Type.Optional(
      Type.Object(
        {
          http: Type.Optional(HttpReady),
          timeoutSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 300, default: 20 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const Limits = Type.Object(
  {
    memoryMiB: Type.Optional(Type.Integer({ minimum: 16, maximum: 8192, default: 512 })),
    cpus: Type.Optional(Type.Number({ minimum: 0.1, maximum: 4, default: 1 })),
    pids: Type.Optional(Type.Integer({ minimum: 16, maximum: 4096, default: 256 })),
  },
  { additionalProperties: false },
);

export const ImageWorkload = Type.Object(
  {
    kind: Type.Literal('image'),
    dockerfile: Type.Optional(Type.String({ default: 'Dockerfile', description: 'Path of the Dockerfile, relative to the submission.' })),
    context: Type.Optional(Type.String({ default: '.', description: 'Build context, relative to the submission.' })),
    buildTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600, default: 300 })),
    run: Type.Optional(RunSpec),
    limits: Type.Optional(Limits),
  },
  { additionalProperties: false },
);

export const NamedObjects = Type.Object(
  {
    containers: Type.Optional(Type.Array(DockerName, { default: [] })),
    networks: Type.Optional(Type.Array(DockerName, { default: [] })),
    volumes: Type.Optional(Type.Array(DockerName, { default: [] })),
  },
  { additionalProperties: false },
);

export const ScriptWorkload = Type.Object(
  {
    kind: Type.Literal('script'),
    script: Type.Optional(Type.String({ default: 'commands.sh' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 1800, default: 60 })),
    objects: NamedObjects,
    hostPorts: Type.Optional(Type.Array(Port, { default: [], description: 'Host ports the task tells the student to publish; they must be free before the script runs.' })),
    images: Type.Optional(Type.Array(Type.String(), { default: [], description: 'Images the script is expected to run; made available (pulled or stood in) beforehand.' })),
    limits: Type.Optional(Limits),
  },
  { additionalProperties: false },
);

export const Workload = Type.Union([ImageWorkload, ScriptWorkload]);

/** The fields every check has, whatever its kind. */
export const CheckBase = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Stable identifier, kebab-case; appears in every report.' }),
  kind: Type.String(),
  points: Type.Number({ minimum: 0 }),
  title: Type.Optional(LocalizedText),
  hint: Type.Optional(LocalizedText),
  requires: Type.Optional(Type.Array(Type.String(), { description: 'Ids of earlier checks that must pass for this one to be evaluated; otherwise it is skipped.' })),
});
export type CheckBase = Static<typeof CheckBase>;

export const LabHeader = {
  $schema: Type.Optional(Type.String()),
  id: Type.String({ pattern: '^lab-[0-9]{2}$' }),
  title: LocalizedText,
  chapter: Type.Optional(Type.String({ description: 'The course chapter this lab practises.' })),
  lang: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')])),
  workload: Workload,
};

/** The spec as validated in the first pass: checks are only known by their common fields. */
export const LabShape = Type.Object(
  { ...LabHeader, checks: Type.Array(Type.Object(CheckBase.properties, { additionalProperties: true }), { minItems: 1 }) },
  { additionalProperties: false },
);

export type ImageWorkload = Static<typeof ImageWorkload>;
export type ScriptWorkload = Static<typeof ScriptWorkload>;
export type Workload = Static<typeof Workload>;
export type RunSpec = Static<typeof RunSpec>;
export type Limits = Static<typeof Limits>;
export type CheckSpec = CheckBase & Record<string, unknown>;
export type Lab = Omit<Static<typeof LabShape>, 'checks'> & { checks: CheckSpec[] };

/** One check kind's full schema: the common fields, `kind` fixed, and its own parameters. */
export function checkSchema(kind: string, params: TSchema & { properties?: Record<string, TSchema> }): TSchema {
  return Type.Object(
    { ...CheckBase.properties, kind: Type.Literal(kind), ...(params.properties ?? {}) },
    { additionalProperties: false, required: [...(CheckBase.required ?? []), ...((params.required as string[] | undefined) ?? [])] },
  );
}
