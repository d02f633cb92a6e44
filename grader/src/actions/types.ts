import type { Static, TObject } from '@sinclair/typebox';
import type { BuildFacts, ContainerFacts, StopFacts } from '../engine/index.js';
import type { CheckContext, Facts, Messages, Need, Say } from '../checks/types.js';
import type { ActionSpec } from '../spec/schema.js';
import type { ComposeCommandResult } from '../compose/index.js';

/** A container the grader starts for its own observation (e.g. a fresh one on the student's volume). */
export interface GraderContainerSpec {
  /** The name checks use to observe it. */
  as: string;
  image: string;
  mounts: { volume?: string; source?: string; target: string; readOnly?: boolean }[];
  command?: string[];
  /** Start it (default: only create it: files, mounts and config can be read without running anything). */
  start?: boolean;
}

/** What any workload's engine lets the grader do between checks. */
export interface EngineOperations {
  /** Removes a container by name or alias (with its anonymous volumes); false when it did not exist. */
  removeContainer(name: string): Promise<boolean>;
  runContainer(spec: GraderContainerSpec): Promise<ContainerFacts>;
  stopContainer(container: ContainerFacts, timeoutSeconds: number): Promise<StopFacts>;
}

/** An edit the grader makes to a copy of the submission before rebuilding (the student's files are never touched). */
export interface FileEdit {
  file: string;
  append: string;
}

/** What only some workloads can do; an action needing one of these is refused by spec validation elsewhere. */
export interface WorkloadOperations {
  /** The rebuild's facts, or the file the edit names when the submission lacks it. */
  rebuild(edit: FileEdit): Promise<{ build: BuildFacts } | { missingFile: string }>;
  /** `compose down` without `-v`: the project's containers and networks go, its named volumes stay. */
  composeDown(): Promise<ComposeCommandResult>;
  /** `compose up -d` again, with the same files and project (nothing rebuilt). */
  composeUp(): Promise<ComposeCommandResult>;
}
export type OperationName = keyof WorkloadOperations;

export interface ActionContext extends CheckContext {
  readonly progress: (line: string) => void;
  readonly engine: EngineOperations;
  readonly operations: Partial<WorkloadOperations>;
}

export type ActionOutcome =
  | { status: 'done'; message: string; facts?: Partial<Facts> }
  | { status: 'failed'; message: string };

export interface ActionKind<P extends TObject = TObject, M extends string = string> {
  action: string;
  description: string;
  /** A typical use, the action's own fields only: shown in the README, validated by a test. */
  example?: Record<string, unknown>;
  params: P;
  /** Facts it acts on (e.g. the workload's container); when missing, the action is skipped. */
  needs: readonly Need[] | ((step: Static<P>) => readonly Need[]);
  /** Workload operations it uses; a lab whose workload lacks one is refused when the spec is validated. */
  operations?: readonly OperationName[];
  /** Facts it makes available to the steps after it. */
  produces?: readonly Need[];
  messages: Messages<M | 'title'>;
  validate?(step: Static<P>): { path: string; message: string }[];
  titleData?(step: Static<P> & ActionSpec, say: Say<M | 'title'>): Record<string, unknown>;
  perform(step: Static<P> & ActionSpec, ctx: ActionContext, say: Say<M | 'title'>): Promise<ActionOutcome>;
}

/** Declares an action kind; like checks, its message ids are those of `messages.en` and French must have them all. */
export function defineAction<P extends TObject, E extends { title: string } & Record<string, string>>(
  kind: Omit<ActionKind<P, keyof E & string>, 'messages'> & { messages: { en: E; fr: Record<keyof E, string> } },
): ActionKind<P, keyof E & string> {
  return kind as ActionKind<P, keyof E & string>;
}
