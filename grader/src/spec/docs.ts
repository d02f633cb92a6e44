import { ACTION_KINDS } from '../actions/index.js';
import { CHECK_KINDS } from '../checks/index.js';
import { WORKLOAD_KINDS } from '../workloads/index.js';

export const DOCS_START = '<!-- generated: kinds (npm run docs) -->';
export const DOCS_END = '<!-- end of generated kinds -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const json = (value: unknown) => `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``;

/**
 * The README's reference of workload, check and action kinds, generated from
 * their definitions (description and example) so it never drifts from the code.
 */
export function kindsReference(): string {
  const lines: string[] = [DOCS_START, '', '#### Workloads', '', '| kind | what it does | example |', '|---|---|---|'];
  for (const w of WORKLOAD_KINDS) lines.push(`| \`${w.kind}\` | ${cell(w.description)} | ${json(w.example ?? {})} |`);
  lines.push('', '#### Check kinds', '', 'Every check also has `id`, `kind`, `points`, and optionally `title`, `hint` and `requires`.', '', '| kind | passes when | example |', '|---|---|---|');
  for (const k of CHECK_KINDS) lines.push(`| \`${k.kind}\` | ${cell(k.description)} | ${json({ kind: k.kind, ...(k.example ?? {}) })} |`);
  lines.push('', '#### Action kinds', '', 'Every action also has `id`, `action`, and optionally `title` and `requires`.', '', '| action | what the grader does | example |', '|---|---|---|');
  for (const a of ACTION_KINDS) lines.push(`| \`${a.action}\` | ${cell(a.description)} | ${json({ action: a.action, ...(a.example ?? {}) })} |`);
  lines.push('', DOCS_END);
  return lines.join('\n');
}

/** The README with its generated part replaced. */
export function withKindsReference(readme: string): string {
  const start = readme.indexOf(DOCS_START);
  const end = readme.indexOf(DOCS_END);
  if (start === -1 || end === -1) throw new Error(`README.md has no ${DOCS_START} … ${DOCS_END} markers`);
  return `${readme.slice(0, start)}${kindsReference()}${readme.slice(end + DOCS_END.length)}`;
}
