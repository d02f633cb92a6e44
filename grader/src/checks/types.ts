import type { TObject, Static } from '@sinclair/typebox';
import type { Lang, Localized } from '../i18n/lang.js';
import type { CheckSpec, Lab } from '../spec/schema.js';
import type { BuildFacts, ContainerFacts, HttpAnswer, HttpRequest, ImageFacts, ScriptFacts } from '../engine/facts.js';

/**
 * What a check may observe. Checks never talk to Docker themselves: the
 * workload hands them these narrow facts (after container-structure-test's driver).
 */
export interface CheckContext {
  readonly lang: Lang;
  readonly lab: Lab;
  readonly submissionDir: string;
  readonly build?: BuildFacts;
  readonly image?: ImageFacts;
  /** The workload's own container (image workloads that run one). */
  readonly container?: ContainerFacts;
  readonly script?: ScriptFacts;
  /** A container the student's commands were told to create, by name; null when it does not exist. */
  containerNamed(name: string): Promise<ContainerFacts | null>;
  /** An HTTP request from the grader's host to a host port. */
  http(request: HttpRequest): Promise<HttpAnswer>;
}

/**
 * What a check found. `expected` and `observed` are kept apart (after goss) so
 * every report can say both; a check that could not look at all throws instead.
 */
export interface Observation {
  passed: boolean;
  expected: string;
  observed: string;
}

/** The parts of the workload a check cannot do without; when missing, the check is skipped. */
export type Need = 'build' | 'image' | 'container' | 'script';

export interface CheckKind<P extends TObject = TObject> {
  kind: string;
  /** The check's own parameters (the common fields id/points/title/hint/requires come from the spec schema). */
  params: P;
  /** What the check observes; a function when it depends on the check's parameters. */
  needs: readonly Need[] | ((check: Static<P>) => readonly Need[]);
  description: string;
  /** Messages per language; `title` is the default title, others are for `expected` / `observed`. */
  messages: Record<Lang, Record<string, string>>;
  /** Extra validation the schema cannot express; returns problems, each with a JSON path relative to the check. */
  validate?(check: Static<P>): { path: string; message: string }[];
  /** Values for the title template beyond the check's own fields; `titleId` picks another message than `title`. */
  titleData?(check: Static<P> & CheckSpec, say: Say): Record<string, unknown> & { titleId?: string };
  evaluate(check: Static<P> & CheckSpec, ctx: CheckContext, say: Say): Promise<Observation>;
}

/** Formats one of the check's messages in the grading language. */
export type Say = (id: string, data?: Record<string, unknown>) => string;

export function needsOf(kind: CheckKind, check: Record<string, unknown>): readonly Need[] {
  return typeof kind.needs === 'function' ? kind.needs(check as never) : kind.needs;
}

export function defineCheck<P extends TObject>(kind: CheckKind<P>): CheckKind<P> {
  return kind;
}

export type { Localized };
