export const LANGS = ['fr', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** A text in every language the grader speaks. */
export type Localized = Record<Lang, string>;

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

/** `fr_FR.UTF-8` → fr; anything not French or English → undefined. */
export function langFromLocale(locale: string | undefined): Lang | undefined {
  const prefix = locale?.slice(0, 2).toLowerCase();
  return isLang(prefix) ? prefix : undefined;
}

/** Replaces `{name}` placeholders; unknown names are left visible so a bad template shows in tests. */
export function format(template: string, data: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in data ? String(data[key]) : whole,
  );
}

export function pick(text: string | Localized | undefined, lang: Lang): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  return text[lang];
}
