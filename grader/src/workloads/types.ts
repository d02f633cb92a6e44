import type { Static, TObject } from '@sinclair/typebox';
import type { OperationName, WorkloadOperations } from '../actions/types.js';
import type { CheckContext, Facts, Need } from '../checks/types.js';
import type { ContainerFacts, Runtime } from '../engine/index.js';
import type { Lang } from '../i18n/lang.js';
import type { MessageId } from '../i18n/messages.js';
import type { Lab, WorkloadSpec } from '../spec/schema.js';

/** What a workload needs of a sandbox: a shell in it (sandbox/sandbox.ts implements it). */
export interface SandboxShell {
  exec(argv: string[], options?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; maxOutputBytes?: number; signal?: AbortSignal; onOutput?: (chunk: string) => void }): Promise<{ exitCode: number | null; output: string; outputBytes: number; timedOut: boolean }>;
}

export interface WorkloadContext {
  /** The engine the workload runs on: the host's, or a throw-away sandbox's. */
  readonly runtime: Runtime;
  /** The sandbox when there is one: student commands run inside it. */
  readonly sandbox: SandboxShell | null;
  readonly lab: Lab;
  /** The submission folder on the grader's machine. */
  readonly submissionDir: string;
  /** The same folder as the engine and the student's commands see it. */
  readonly submissionDirInEngine: string;
  readonly runId: string;
  readonly labels: Record<string, string>;
  readonly lang: Lang;
  readonly say: (id: MessageId, data?: Record<string, unknown>) => string;
  readonly progress: (line: string) => void;
  readonly signal: AbortSignal;
  /** Where full build/script logs go; null: nowhere. */
  readonly logsDir: string | null;
  /** The Compose version asked for (--compose); undefined: DOCKERLAB_COMPOSE, else the machine's. */
  readonly compose?: 'v1' | 'v2' | 'auto';
  /** Makes base images available on the workload's engine (pulled, stood in, or loaded into the sandbox). */
  ensureImages(refs: string[]): Promise<{ alpineStandIns: [string, string][] }>;
  /** The observation helpers (sockets, HTTP) of this grading, for readiness diagnoses. */
  readonly observe: Pick<CheckContext, 'http' | 'listeningSockets'>;
}

/** What a workload produced for the steps to observe, and how to take it down. */
export interface PreparedWorkload {
  facts: Facts;
  /** Why a fact cannot be had (steps that need it are skipped with this reason). */
  unavailable: Partial<Record<Need, MessageId>>;
  unavailableReason?: string;
  notes: string[];
  operations: Partial<WorkloadOperations>;
  /**
   * Names the workload resolves itself before the engine's container names are
   * tried (e.g. a Compose service: "web" is whatever container compose made for it).
   */
  findContainer?(name: string): Promise<ContainerFacts | null>;
  /** Removes everything the workload created; returns notes for the report. */
  finish(): Promise<string[]>;
}

export interface WorkloadKind<P extends TObject = TObject> {
  kind: string;
  description: string;
  /** A typical workload (kind included): shown in the README, validated by a test. */
  example?: Record<string, unknown>;
  /** The workload's own fields (`kind` is added by the spec schema). */
  params: P;
  /** Facts it can produce (a function when they depend on its fields), and operations it supports: spec validation refuses steps that need others. */
  provides: readonly Need[] | ((workload: Static<P> & WorkloadSpec) => readonly Need[]);
  operations: readonly OperationName[];
  /** Where student-controlled commands run by default: `sandbox` (a throw-away engine) or the engine itself. */
  isolation: 'engine' | 'sandbox';
  /** Base images it expects, made available before it starts (inside the sandbox too). */
  images(workload: Static<P> & WorkloadSpec): string[];
  /** Host ports the task names (they must be free, and reachable from the grader). */
  hostPorts(workload: Static<P> & WorkloadSpec): number[];
  /** The deliverable without which nothing can be graded (for "not gradable" reports), relative to the submission; a list when any of several names will do. */
  deliverable(workload: Static<P> & WorkloadSpec): string | string[];
  prepare(workload: Static<P> & WorkloadSpec, ctx: WorkloadContext): Promise<PreparedWorkload>;
}

export function defineWorkload<P extends TObject>(kind: WorkloadKind<P>): WorkloadKind<P> {
  return kind;
}
