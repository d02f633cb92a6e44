import type { Static, TObject } from '@sinclair/typebox';
import type { Lang } from '../i18n/lang.js';
import type { CheckSpec, Lab } from '../spec/schema.js';
import type { BuildFacts, ContainerFacts, HttpAnswer, ImageConfig, ImageFacts, ListeningSocket, ScriptFacts, StopFacts, VolumeFacts } from '../engine/index.js';
import type { ComposeFacts } from '../compose/index.js';

/**
 * What the workload and the actions before a step produced. A check or an action
 * that needs a fact the run does not have is skipped, with the reason.
 */
export interface Facts {
  /** The build of the submission's Dockerfile (image workloads). */
  build?: BuildFacts;
  /** The built image. */
  image?: ImageFacts;
  /** The workload's own container (image workloads that run one). */
  container?: ContainerFacts;
  /** The run of the student's script (script workloads). */
  script?: ScriptFacts;
  /** The grader's rebuild after editing a file (action `rebuild`). */
  rebuild?: BuildFacts;
  /** How `docker stop` went (action `stop-container`). */
  stop?: StopFacts;
  /** The Compose project: file, version, how `up -d --build` went (compose workloads). */
  compose?: ComposeFacts;
  /** Numbers the grader read from HTTP answers, by the name the action gave them (action `record-count`). */
  counts?: Record<string, number>;
}

/** The facts a step can need; also what workloads provide and actions produce. */
export type Need = keyof Facts;
export const NEEDS: readonly Need[] = ['build', 'image', 'container', 'script', 'rebuild', 'stop', 'compose', 'counts'];

/** An HTTP request from the grader to a port published on the engine's host. */
export interface HttpRequest {
  port: number;
  path: string;
  method?: string;
  /** Keep trying until this many ms have passed, while `until` says the answer is not final. */
  withinMs?: number;
  until?: (answer: HttpAnswer) => boolean;
  /** Give up early when this says, after an answer that was not good, that waiting longer cannot help (e.g. the app listens on another port). */
  hopeless?: (last: HttpAnswer) => Promise<boolean>;
  /** Extra request headers (e.g. Accept for a registry's manifests). */
  headers?: Record<string, string>;
}

/** A network of the engine. */
export interface NetworkFacts {
  id: string;
  name: string;
  /** `bridge`, `host`, `null`, `overlay`, `macvlan`… */
  driver: string;
  internal: boolean;
  labels: Record<string, string>;
  /** Names of the containers attached to it. */
  containers: string[];
}

/**
 * What resolving a name from inside a container gave, observed with the grader's
 * own probe in that container's network namespace (so with its /etc/hosts and
 * resolver, whatever tools its image has).
 */
export type NameResolution =
  | { outcome: 'resolved'; addresses: string[]; source: 'hosts' | 'dns' }
  | { outcome: 'not-found'; detail: string }
  | { outcome: 'not-running'; status: string }
  | { outcome: 'probe-failed'; detail: string };

/** An HTTP request sent from inside a container (same probe). */
export interface InsideHttpRequest {
  /** `http://api/`, `http://127.0.0.1:5000/v2/`. */
  url: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export type InsideHttpAnswer =
  | { outcome: 'answered'; status: number; body: string; headers: Record<string, string> }
  | { outcome: 'name-not-found'; detail: string }
  | { outcome: 'no-connection'; failure: 'refused' | 'timeout' | 'unreachable' | 'other'; detail: string }
  | { outcome: 'not-running'; status: string }
  | { outcome: 'probe-failed'; detail: string };


/**
 * What a check may observe. Checks never talk to Docker themselves: they read
 * facts through this narrow view (after container-structure-test's driver), so
 * each kind can be tested against fake facts (tests/unit/checks/).
 */
export interface CheckContext extends Facts {
  readonly lang: Lang;
  /** Aborts when the grading is interrupted or past its deadline: checks that poll stop waiting. */
  readonly signal: AbortSignal;
  readonly lab: Lab;
  /** The submission folder on the grader's machine. */
  readonly submissionDir: string;
  /** The same folder as the engine sees it (inside a sandbox it is another path): bind mount sources are compared with it. */
  readonly submissionDirInEngine: string;
  /** A container by name (or by the alias an action gave it); null when it does not exist. */
  findContainer(name: string): Promise<ContainerFacts | null>;
  /** The running container that publishes a host port, if any. */
  containerOnHostPort(port: number): Promise<ContainerFacts | null>;
  /** A volume by name; null when it does not exist. */
  findVolume(name: string): Promise<VolumeFacts | null>;
  /** The configuration of an image present on the engine (e.g. a base image); null when absent. */
  imageConfig(ref: string): Promise<ImageConfig | null>;
  /** An HTTP request from the grader to a port published on the engine's host, retried as asked. */
  http(request: HttpRequest): Promise<HttpAnswer>;
  /** The TCP sockets a container listens on (read in its network namespace); null when they cannot be read. */
  listeningSockets(container: ContainerFacts): Promise<ListeningSocket[] | null>;
  /** A network by name; null when it does not exist. */
  findNetwork(name: string): Promise<NetworkFacts | null>;
  /** Resolves a name from inside a container (hosts file, then its DNS), with the grader's probe. */
  resolveFrom(container: ContainerFacts, name: string): Promise<NameResolution>;
  /** Sends an HTTP GET from inside a container, with the grader's probe. */
  httpFrom(container: ContainerFacts, request: InsideHttpRequest): Promise<InsideHttpAnswer>;
  /** The local images of a repository, as `repository:tag` (e.g. `localhost:5000/mon-app` → `localhost:5000/mon-app:1.0`). */
  localImageTags(repository: string): Promise<string[]>;
}

/**
 * What a check found. `expected` and `observed` are kept apart (after goss) so
 * every report can say both; a check that could not look at all throws instead.
 */
export interface Observation {
  passed: boolean;
  expected: string;
  observed: string;
  /** Where the fault lies in the student's files, when known. */
  location?: { file: string; line: number };
}

/** Formats one of a kind's own messages in the grading language; ids are checked at compile time. */
export type Say<M extends string = string> = (id: M, data?: Record<string, unknown>) => string;

/** A kind's messages: every id in English, and the same ids in French (a missing one is a compile error). */
export type Messages<M extends string> = { en: Record<M, string>; fr: Record<M, string> };

export interface CheckKind<P extends TObject = TObject, M extends string = string> {
  kind: string;
  /** The check's own parameters (the common fields id/points/title/hint/requires come from the spec schema). */
  params: P;
  /** What the check observes; a function when it depends on the check's parameters. */
  needs: readonly Need[] | ((check: Static<P>) => readonly Need[]);
  description: string;
  /** A typical use, the check's own fields only (id, kind and points are added): shown in the README, validated by a test. */
  example?: Record<string, unknown>;
  /** Messages per language; `title` is the default title, others are for `expected` / `observed`. */
  messages: Messages<M | 'title'>;
  /** Extra validation the schema cannot express; returns problems, each with a JSON path relative to the check. */
  validate?(check: Static<P>): { path: string; message: string }[];
  /** Values for the title template beyond the check's own fields; `titleId` picks another message than `title`. */
  titleData?(check: Static<P> & CheckSpec, say: Say<M | 'title'>): Record<string, unknown> & { titleId?: M | 'title' };
  evaluate(check: Static<P> & CheckSpec, ctx: CheckContext, say: Say<M | 'title'>): Promise<Observation>;
}

export function needsOf(kind: { needs: readonly Need[] | ((check: never) => readonly Need[]) }, step: Record<string, unknown>): readonly Need[] {
  return typeof kind.needs === 'function' ? kind.needs(step as never) : kind.needs;
}

/**
 * Declares a check kind. Its message ids are those of `messages.en` (`title`
 * required); French must have the same ids, and `say` accepts only them.
 */
export function defineCheck<P extends TObject, E extends { title: string } & Record<string, string>>(
  kind: Omit<CheckKind<P, keyof E & string>, 'messages'> & { messages: { en: E; fr: Record<keyof E, string> } },
): CheckKind<P, keyof E & string> {
  return kind as CheckKind<P, keyof E & string>;
}
