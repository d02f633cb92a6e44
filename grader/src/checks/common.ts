import { Type } from '@sinclair/typebox';
import type { Lang } from '../i18n/lang.js';
import { format } from '../i18n/lang.js';
import type { ContainerFacts } from '../engine/facts.js';
import type { CheckContext, Observation } from './types.js';

export const ContainerName = Type.Optional(
  Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', description: "A container the student's commands create, by name. Omit for the workload's own container." }),
);

const MISSING: Record<Lang, string> = {
  fr: "aucun conteneur nommé « {name} » n'existe",
  en: 'no container named "{name}" exists',
};
const NOT_STARTED: Record<Lang, string> = {
  fr: "le conteneur de l'image n'a pas été créé",
  en: "the image's container was not created",
};

/** The container a check is about, or an Observation saying why there is none. */
export async function targetContainer(
  check: { container?: string | undefined },
  ctx: CheckContext,
  expected: string,
): Promise<ContainerFacts | Observation> {
  if (check.container) {
    const found = await ctx.containerNamed(check.container);
    return found ?? { passed: false, expected, observed: format(MISSING[ctx.lang], { name: check.container }) };
  }
  return ctx.container ?? { passed: false, expected, observed: NOT_STARTED[ctx.lang] };
}

export function isObservation(value: unknown): value is Observation {
  return typeof value === 'object' && value !== null && 'passed' in value && 'observed' in value;
}

export function truncate(text: string, max = 300): string {
  const clean = text.trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** "…the last lines: a | b | c" or "(empty)" in the grading language. */
export function describeLog(text: string, lang: Lang, lines = 5): string {
  const last = text.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-lines);
  if (last.length === 0) return lang === 'fr' ? '(journal vide)' : '(empty log)';
  return (lang === 'fr' ? 'dernières lignes du journal :\n' : 'last log lines:\n') + last.map((l) => `  | ${truncate(l, 200)}`).join('\n');
}

const STOPPED: Record<Lang, string> = {
  fr: "le conteneur n'est pas en marche (état « {status} », code de sortie {code})\n{logs}",
  en: 'the container is not running (state "{status}", exit code {code})\n{logs}',
};

/** null while the container runs; otherwise what a student needs to see: its state, exit code and last log lines. */
export async function notRunning(container: ContainerFacts, lang: Lang): Promise<string | null> {
  const state = await container.state();
  if (state.running) return null;
  return format(STOPPED[lang], { status: state.status, code: state.exitCode, logs: describeLog(await container.logs(), lang) });
}
