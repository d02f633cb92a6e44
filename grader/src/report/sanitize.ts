/**
 * Student-controlled text (build output, container logs, labels, file names…) reaches
 * terminals, CI logs, Markdown summaries, XML and JSON files. Everything a reporter
 * prints that may hold such text goes through one of these functions: they make the
 * text inert for its destination without hiding what the student wrote.
 */

// CSI sequences (colours, cursor moves, erase), in their 7-bit and 8-bit forms.
const CSI = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]/g;
// OSC / DCS / SOS / PM / APC strings (window titles, hyperlinks, GitLab section markers…), up to their terminator.
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c)/g;
// Any other escape sequence: ESC, intermediate bytes, one final byte.
const OTHER_ESCAPE = /\x1b[ -/]*[0-~]/g;
// C0 and C1 controls except tab and line feed; DEL.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// Bidirectional overrides and isolates: they can make text read differently from what it is.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * The text with every terminal escape sequence and control character removed, line
 * breaks normalised to `\n` (a lone CR, which would let a line overwrite the one
 * before it, becomes a line break), tabs kept.
 */
export function plainText(text: string): string {
  return text
    .replace(STRING_SEQUENCE, '')
    .replace(CSI, '')
    .replace(OTHER_ESCAPE, '')
    .replace(/\r\n?|[\u2028\u2029\x85]/g, '\n')
    .replace(CONTROL, '')
    .replace(BIDI, '');
}

const ZERO_WIDTH_SPACE = '\u200b';
// The first `#` of `##[`, `##vso[`, `##teamcity[`: older runners read these anywhere in a line.
const LEGACY_COMMAND_HASH = /#(?=#(?:\[|vso\[|teamcity\[))/gi;

/**
 * No line can be read as a workflow command by a CI runner: GitHub's `::name …::`
 * at the start of a line (after blanks), its older `##[name]`, Azure's `##vso[` and
 * TeamCity's `##teamcity[` anywhere in a line. A zero-width space is put inside the
 * marker, so the text still reads the same to a person.
 */
export function neutralizeWorkflowCommands(text: string): string {
  return text
    .replace(/^(\s*):(?=:)/gm, `$1:${ZERO_WIDTH_SPACE}`)
    .replace(LEGACY_COMMAND_HASH, `#${ZERO_WIDTH_SPACE}`);
}

/** Student text for a terminal or a CI log: no escapes, no controls, no workflow commands. */
export function safeText(text: string): string {
  return neutralizeWorkflowCommands(plainText(text));
}

/** Student text that must stay on one line (a label, a file name, a table cell): line breaks shown as ⏎. */
export function oneLine(text: string): string {
  return safeText(text).replace(/\n/g, ' ⏎ ').replace(/\t/g, ' ');
}

/**
 * A workflow command's message (GitHub's `escapeData`): the command stays on one line
 * whatever the text; the unescaped message holds no command either, for any reader
 * that would parse it again.
 */
export function escapeCommandData(text: string): string {
  return safeText(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value (`file=…,title=…`): also `:` and `,`, which end a property. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

// Characters XML 1.0 does not allow at all, even escaped (controls, lone surrogates, U+FFFE/U+FFFF).
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for an XML attribute or element: escaped, and stripped of what XML cannot carry. */
export function escapeXml(text: string): string {
  return plainText(text)
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(LEGACY_COMMAND_HASH, '&#35;');
}

/**
 * Text inside an XML element, where line breaks and tabs may stay as they are. A
 * report printed to a CI log must not hold a line a runner reads as a command: the
 * first `:` of a line-leading `::` becomes a character reference (same XML value).
 */
export function escapeXmlText(text: string): string {
  return escapeXml(text).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t').replace(/^(\s*):(?=:)/gm, '$1&#58;');
}

/**
 * JSON for a file or a CI log: the same value as JSON.stringify gives, with the `#`
 * of a `##[` written `\u0023`, since a runner would read `##[error]` even inside a
 * string. (A pretty-printed JSON line never starts with `::`.)
 */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(LEGACY_COMMAND_HASH, '\\u0023');
}

export function escapeHtml(text: string): string {
  return plainText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** `&`, `<` and `>` as entities: what Markdown text needs so that no HTML tag can start. */
export function escapeHtmlText(text: string): string {
  return plainText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Student text inline in GitHub-flavoured Markdown (a table cell, a sentence): on one
 * line, every Markdown punctuation backslash-escaped and `& < >` as entities, so it
 * can neither format, link, embed an image or HTML, mention someone nor break the table.
 */
export function escapeMarkdownInline(text: string): string {
  return escapeHtmlText(oneLine(text).replace(/[\\`*_{}[\]()#+\-.!|~:@^$]/g, (c) => `\\${c}`));
}

/**
 * Student text as a fenced code block: the fence is longer than any run of backticks
 * in the text, so the text cannot close it; `info` is a language tag such as `text`.
 */
export function markdownCodeBlock(text: string, info = 'text'): string {
  const body = safeText(text).replace(/\n+$/, '');
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** Bytes of `text` in UTF-8. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The start of `text` that fits in `maxBytes` of UTF-8, cut on a character boundary
 * (never inside a surrogate pair); `text` itself when it fits.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back up to the first byte of a character: continuation bytes look like 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

// Characters a reader cannot see: zero-width ones and the byte-order mark; and spaces that look like a space.
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
const NO_BREAK_SPACE = /[\u00a0\u202f\u2007]/g;
// What JSON.stringify leaves as it is but a reader cannot see or tell apart: DEL and C1 controls, the above, bidi marks, line separators.
const UNSEEN = new RegExp(`[\\x7f-\\x9f]|${ZERO_WIDTH.source}|${NO_BREAK_SPACE.source}|${BIDI.source}|[\\u2028\\u2029]`, 'g');

/**
 * Two texts a report would show the same once escapes and controls are stripped
 * (`MODE=production` and `MODE=production\x1b[0m`, a trailing space, a zero-width
 * space): both written as JSON strings, with the invisible characters as `\uXXXX`,
 * so the difference can be seen. Other pairs are returned as they are.
 */
export function showDifference(expected: string, observed: string): [string, string] {
  if (expected === observed) return [expected, observed];
  const looks = (text: string): string => plainText(text).replace(NO_BREAK_SPACE, ' ').replace(ZERO_WIDTH, '').trim();
  if (looks(expected) !== looks(observed)) return [expected, observed];
  const visible = (text: string): string => JSON.stringify(text).replace(UNSEEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [visible(expected), visible(observed)];
}
