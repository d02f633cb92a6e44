import { actionKind } from './actions/index.js';
import { checkKind } from './checks/index.js';
import { format, pick, type Lang } from './i18n/lang.js';
import type { ActionSpec, CheckSpec } from './spec/schema.js';

/** A kind's own messages in the grading language, English when one is missing. */
export function sayFor(messages: { en: Record<string, string>; fr: Record<string, string> }, lang: Lang) {
  return (id: string, data?: Record<string, unknown>) => format(messages[lang][id] ?? messages.en[id] ?? id, data);
}

/** A check's title in the grading language: the spec's own, or the kind's template filled with the check's fields. */
export function titleOf(check: CheckSpec, lang: Lang): string {
  const own = pick(check.title, lang);
  if (own) return own;
  const kind = checkKind(check.kind);
  if (!kind) return check.id;
  const say = sayFor(kind.messages, lang);
  const extra = kind.titleData?.(check as never, say) ?? {};
  const named = typeof check.container === 'string' ? (lang === 'fr' ? ` « ${check.container} »` : ` "${check.container}"`) : '';
  const data = { protocol: 'tcp', ...check, named, ...extra };
  return format(kind.messages[lang][extra.titleId ?? 'title'] ?? check.id, data);
}

export function actionTitleOf(step: ActionSpec, lang: Lang): string {
  const own = pick(step.title, lang);
  if (own) return own;
  const kind = actionKind(step.action);
  if (!kind) return step.id;
  const say = sayFor(kind.messages, lang);
  return format(kind.messages[lang].title ?? step.id, { ...step, ...(kind.titleData?.(step as never, say) ?? {}) });
}

