import { format, type Lang } from '../i18n/lang.js';

/** The words of the student's loop (`--watch`, the overview of every lab, the history file). */
export const STUDENT_MESSAGES = {
  fr: {
    watching: 'Surveillance de {folder} : chaque enregistrement relance la correction (Ctrl-C pour arrêter).',
    changed: 'Modifié : {files} — nouvelle correction…',
    moreFiles: '{files} et {count} autre(s)',
    sinceLast: 'Depuis la dernière correction : {delta}',
    scoreDelta: 'score {before} → {after} ({sign}{diff} pt)',
    unchanged: 'rien n’a changé (score {score}/{maxScore})',
    nowPassing: 'réussi(s) maintenant : {checks}',
    nowFailing: 'échoue(nt) maintenant : {checks}',
    gradingFailed: 'La correction n’a pas pu se faire : {reason}. Corrigez puis enregistrez de nouveau.',
    overviewHeading: 'Vos labs ({done}/{total} commencés)',
    notStarted: 'pas commencé',
    lastScore: '{score}/{maxScore}',
    fullMarks: 'tous les points',
    when: '{ago}',
    justNow: 'à l’instant',
    minutesAgo: 'il y a {n} min',
    hoursAgo: 'il y a {n} h',
    daysAgo: 'il y a {n} j',
    overviewHint: 'Corriger un lab : npm run grade lab-NN (ajoutez -- --watch pour recorriger à chaque enregistrement).',
    historyCorrupt: 'L’historique {file} est illisible ({reason}) : il est mis de côté dans {backup} et un nouveau commence.',
    historyUnwritable: 'L’historique {file} n’a pas pu être écrit ({reason}) : la vue d’ensemble ne montrera pas cette correction.',
    invalidLab: 'lab.json invalide',
  },
  en: {
    watching: 'Watching {folder}: every save grades again (Ctrl-C to stop).',
    changed: 'Changed: {files} — grading again…',
    moreFiles: '{files} and {count} more',
    sinceLast: 'Since the last grade: {delta}',
    scoreDelta: 'score {before} → {after} ({sign}{diff} pt)',
    unchanged: 'nothing changed (score {score}/{maxScore})',
    nowPassing: 'now passing: {checks}',
    nowFailing: 'now failing: {checks}',
    gradingFailed: 'The grading could not run: {reason}. Fix it and save again.',
    overviewHeading: 'Your labs ({done}/{total} started)',
    notStarted: 'not started',
    lastScore: '{score}/{maxScore}',
    fullMarks: 'full marks',
    when: '{ago}',
    justNow: 'just now',
    minutesAgo: '{n} min ago',
    hoursAgo: '{n} h ago',
    daysAgo: '{n} d ago',
    overviewHint: 'Grade a lab: npm run grade lab-NN (add -- --watch to grade again on every save).',
    historyCorrupt: 'The history {file} cannot be read ({reason}): it is set aside as {backup} and a new one starts.',
    historyUnwritable: 'The history {file} could not be written ({reason}): the overview will not show this grading.',
    invalidLab: 'invalid lab.json',
  },
} as const satisfies Record<Lang, Record<string, string>>;

export type StudentMessageId = keyof (typeof STUDENT_MESSAGES)['en'];

export function studentSay(lang: Lang): (id: StudentMessageId, data?: Record<string, unknown>) => string {
  return (id, data) => format(STUDENT_MESSAGES[lang][id], data);
}
