import { randomBytes } from 'node:crypto';
import { escapeCommandData, escapeCommandProperty, safeText } from './sanitize.js';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
}

/** `::error file=F,line=L,title=T::message`: one line whatever the text, properties and message escaped. */
export function annotation(level: AnnotationLevel, message: string, properties: AnnotationProperties = {}): string {
  const props = [
    properties.file !== undefined ? `file=${escapeCommandProperty(properties.file)}` : null,
    properties.line !== undefined ? `line=${Math.max(1, Math.trunc(properties.line))}` : null,
    properties.title !== undefined ? `title=${escapeCommandProperty(properties.title)}` : null,
  ].filter((p): p is string => p !== null);
  return `::${level}${props.length ? ` ${props.join(',')}` : ''}::${escapeCommandData(message)}\n`;
}

/** A token no submission can have guessed: it is drawn after the student's code ran. */
export function freshStopToken(): string {
  return `dockerlab-${randomBytes(16).toString('hex')}`;
}

/**
 * Text that may hold student output, for a CI log: GitHub's runner reads no workflow
 * command between `::stop-commands::TOKEN` and `::TOKEN::`, and each line is also
 * neutralised in case the block is read by something else (or copied elsewhere).
 */
export function untrustedBlock(text: string, token = freshStopToken()): string {
  if (text === '') return '';
  const body = safeText(text);
  return `::stop-commands::${token}\n${body}${body.endsWith('\n') ? '' : '\n'}::${token}::\n`;
}
