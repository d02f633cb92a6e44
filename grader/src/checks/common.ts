import { Type } from '@sinclair/typebox';
import type { ContainerFacts, HttpAnswer, ListeningSocket } from '../engine/index.js';
import { format, type Lang } from '../i18n/lang.js';
import type { Catalog } from '../i18n/messages.js';
import { describeSocket } from '../lib/proc-net.js';
import { regexSafety } from '../lib/regex-safety.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import type { CheckContext, Need, Observation } from './types.js';

export const ContainerName = Type.Optional(
  Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 128, description: "A container by name (one the student's commands create, or one an action of the grader started). Omit for the workload's own container." }),
);

/** A check that observes a container needs the workload's own only when it names none. */
export function containerNeeds(check: { container?: string | undefined }): readonly Need[] {
  return check.container ? [] : ['container'];
}

const en = {
  containerMissing: 'no container named "{name}" exists',
  workloadContainerMissing: "the image's container was not created",
  notRunning: 'the container is not running (state "{status}", exit code {code}{oom})\n{logs}',
  oom: ', killed for lack of memory',
  restarting: 'the container keeps restarting ({count} restarts so far, last exit code {code})\n{logs}',
  emptyLog: '(empty log)',
  lastLogLines: 'last log lines:',
  none: '(none)',
  anyValue: '(any value)',
  httpRefused: 'connection refused',
  httpReset: 'connection reset (nothing listening behind the published port?)',
  httpClosed: 'connection closed without an answer (nothing listening behind the published port?)',
  httpTimeout: 'no complete answer in time',
  httpUnreachable: 'host unreachable',
  httpAborted: 'interrupted',
  httpOther: '{error}',
  listensLoopback: 'the app listens on {sockets} only: that address is inside the container, unreachable through a published port (listen on 0.0.0.0)',
  listensOtherPort: 'nothing listens on port {port} in the container; it listens on {sockets}',
  listensNothing: 'nothing listens on any TCP port in the container',
} as const;

const fr: Record<keyof typeof en, string> = {
  containerMissing: "aucun conteneur nommé « {name} » n'existe",
  workloadContainerMissing: "le conteneur de l'image n'a pas été créé",
  notRunning: "le conteneur n'est pas en marche (état « {status} », code de sortie {code}{oom})\n{logs}",
  oom: ', tué faute de mémoire',
  restarting: 'le conteneur redémarre en boucle ({count} redémarrages déjà, dernier code de sortie {code})\n{logs}',
  emptyLog: '(journal vide)',
  lastLogLines: 'dernières lignes du journal :',
  none: '(aucun)',
  anyValue: '(valeur libre)',
  httpRefused: 'connexion refusée',
  httpReset: 'connexion réinitialisée (rien n’écoute derrière le port publié ?)',
  httpClosed: 'connexion fermée sans réponse (rien n’écoute derrière le port publié ?)',
  httpTimeout: 'pas de réponse complète à temps',
  httpUnreachable: 'hôte injoignable',
  httpAborted: 'interrompu',
  httpOther: '{error}',
  listensLoopback: "l'application écoute seulement sur {sockets} : cette adresse est interne au conteneur, injoignable par un port publié (écoutez sur 0.0.0.0)",
  listensOtherPort: 'rien n’écoute sur le port {port} dans le conteneur ; il écoute sur {sockets}',
  listensNothing: 'rien n’écoute sur aucun port TCP dans le conteneur',
};

/** The words the check kinds share (containers, logs, HTTP failures, sockets). */
export const OBSERVATIONS: Catalog<keyof typeof en> = { en, fr };
export type ObservationId = keyof typeof en;

export function observe(lang: Lang, id: ObservationId, data?: Record<string, unknown>): string {
  return format(OBSERVATIONS[lang][id], data);
}

/** The container a check is about, or an Observation saying why there is none. */
export async function targetContainer(check: { container?: string | undefined }, ctx: CheckContext, expected: string): Promise<ContainerFacts | Observation> {
  if (check.container) {
    const found = await ctx.findContainer(check.container);
    return found ?? { passed: false, expected, observed: observe(ctx.lang, 'containerMissing', { name: check.container }) };
  }
  return ctx.container ?? { passed: false, expected, observed: observe(ctx.lang, 'workloadContainerMissing') };
}

export function isObservation(value: unknown): value is Observation {
  return typeof value === 'object' && value !== null && 'passed' in value && 'observed' in value;
}

export function truncate(text: string, max = 300): string {
  const clean = text.trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** "last log lines: | a | b" or "(empty log)" in the grading language. */
export function describeLog(text: string, lang: Lang, lines = 5): string {
  const last = text.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-lines);
  if (last.length === 0) return observe(lang, 'emptyLog');
  return `${observe(lang, 'lastLogLines')}\n${last.map((l) => `  | ${truncate(l, 200)}`).join('\n')}`;
}

/** null while the container runs steadily; otherwise what a student needs to see: its state, exit code and last log lines. */
export async function notRunning(container: ContainerFacts, lang: Lang): Promise<string | null> {
  const state = await container.state();
  if (state.restarting) {
    return observe(lang, 'restarting', { count: state.restartCount, code: state.exitCode, logs: describeLog(await container.logs(), lang) });
  }
  if (state.running) return null;
  return observe(lang, 'notRunning', { status: state.status, code: state.exitCode, oom: state.oomKilled ? observe(lang, 'oom') : '', logs: describeLog(await container.logs(), lang) });
}

export function describeHttpFailure(answer: Extract<HttpAnswer, { ok: false }>, lang: Lang): string {
  const id = ({ refused: 'httpRefused', reset: 'httpReset', closed: 'httpClosed', timeout: 'httpTimeout', unreachable: 'httpUnreachable', aborted: 'httpAborted', other: 'httpOther' } as const)[answer.failure];
  return observe(lang, id, { error: answer.error });
}

/**
 * Why nothing can answer on a container port, read from the sockets the
 * container listens on; null when the port is open on a reachable address (the
 * app may be slow, or not speak HTTP) or when the sockets cannot be read.
 */
export function diagnoseSockets(all: ListeningSocket[] | null, port: number, lang: Lang): { why: string; settled: boolean } | null {
  if (all === null) return null;
  // Docker's embedded DNS server listens on 127.0.0.11 in every container of a user-defined network: not the app's.
  const sockets = all.filter((s) => s.address !== '127.0.0.11');
  const onPort = sockets.filter((s) => s.port === port);
  if (onPort.some((s) => !s.loopbackOnly)) return null;
  if (onPort.length > 0) return { why: observe(lang, 'listensLoopback', { sockets: onPort.map(describeSocket).join(', ') }), settled: true };
  if (sockets.length > 0) return { why: observe(lang, 'listensOtherPort', { port, sockets: sockets.map(describeSocket).join(', ') }), settled: true };
  // Nothing yet: the app may still be starting.
  return { why: observe(lang, 'listensNothing'), settled: false };
}

/** Why a running container's port gets no HTTP answer, when the engine can tell; null otherwise. */
export async function whyPortIsSilent(ctx: Pick<CheckContext, 'listeningSockets' | 'lang'>, container: ContainerFacts, port: number): Promise<{ why: string; settled: boolean } | null> {
  const stopped = await notRunning(container, ctx.lang);
  if (stopped) return { why: stopped, settled: true };
  return diagnoseSockets(await ctx.listeningSockets(container), port, ctx.lang);
}

/** How often, at most, a waiting grader looks at the container's sockets to see whether waiting can still help. */
const DIAGNOSE_EVERY_MS = 1200;

/**
 * Waits until `answered` says yes, or until the container shows (twice in a row,
 * a moment apart) that nothing will ever answer on `port`: it exited, it listens
 * on 127.0.0.1 only, or on other ports. Returns why, when it gave up early.
 */
export function hopelessWatch(ctx: Pick<CheckContext, 'listeningSockets' | 'lang'>, container: ContainerFacts, port: number): { hopeless: () => Promise<boolean>; why: () => string | null } {
  let lastCheck = 0;
  let previous: string | null = null;
  let verdict: string | null = null;
  const startedAt = Date.now();
  return {
    hopeless: async () => {
      // An exited container will not answer: no need to look twice.
      if (!(await container.state()).running) return true;
      if (Date.now() - lastCheck < DIAGNOSE_EVERY_MS || Date.now() - startedAt < 800) return false;
      lastCheck = Date.now();
      const diagnosis = await whyPortIsSilent(ctx, container, port);
      const settled = diagnosis?.settled ? diagnosis.why : null;
      if (settled && settled === previous) verdict = settled;
      previous = settled;
      return verdict !== null;
    },
    why: () => verdict,
  };
}

/** Spec-time validation of a regular expression: valid, and free of catastrophic backtracking. */
export function regexProblems(source: string, flags: string, jsonPath: string): { path: string; message: string }[] {
  try {
    new RegExp(source, flags);
  } catch (error) {
    return [{ path: jsonPath, message: `not a valid regular expression: ${(error as Error).message}` }];
  }
  const safety = regexSafety(source, flags);
  if (safety === 'vulnerable') return [{ path: jsonPath, message: 'this regular expression can backtrack catastrophically on some inputs (nested or overlapping repetition, e.g. (a+)+ or (x|x)*): rewrite it so no two ways match the same text' }];
  if (safety === 'unknown') return [{ path: jsonPath, message: 'this regular expression could not be proven safe from catastrophic backtracking in 10 s: simplify it' }];
  return [];
}

/**
 * Where an instruction of the final stage sits in the student's Dockerfile (the
 * last one with that keyword), for annotations: null without a Dockerfile text.
 */
export function finalStageLine(ctx: Pick<CheckContext, 'build'>, keyword: string): { file: string; line: number } | null {
  const text = ctx.build?.dockerfileText;
  if (!text) return null;
  const parsed = parseDockerfile(text);
  const lastStage = parsed.stages.length - 1;
  const found = parsed.instructions.filter((i) => i.stage === lastStage && i.keyword === keyword.toUpperCase()).pop();
  return found ? { file: ctx.build!.dockerfile, line: found.line } : null;
}
