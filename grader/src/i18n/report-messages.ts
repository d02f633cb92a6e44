import type { Lang } from './lang.js';

/**
 * The words of the CI reporters (job summary, annotations, Gradescope, PrairieLearn, JUnit).
 * Kept apart from messages.ts so the reporters own their catalog; the shared words
 * (expected, observed, hint, statuses) stay in MESSAGES.
 */
export const REPORT_MESSAGES = {
  fr: {
    heading: 'Correction automatique — {lab} : {title}',
    scoreLine: 'Score : **{score} / {maxScore}** ({percent} %)',
    allPassed: 'Toutes les vérifications sont réussies.',
    someFailed: '{failed} vérification(s) à revoir sur {total}.',
    columnCheck: 'Vérification',
    columnStatus: 'Résultat',
    columnPoints: 'Points',
    failuresHeading: 'À revoir',
    actionsHeading: 'Actions du correcteur entre les vérifications',
    notesHeading: 'À savoir',
    outputBlock: 'Sortie observée ({lines} lignes)',
    location: 'Dans {file}, ligne {line}',
    summaryTruncated: 'Résumé tronqué : il dépassait la limite de {limit} octets par étape de GitHub Actions. Le journal de l’étape contient le rapport complet.',
    gradedBy: 'Corrigé par dockerlab {version}, {isolation}, en {seconds} s.',
    isolationSandbox: 'dans un moteur Docker jetable',
    isolationEngine: 'sur le moteur Docker de la machine',
    annotationTitle: '{title} : {points}/{maxPoints} pt',
    annotationErrorTitle: 'Non évalué (problème du correcteur) : {title}',
    reportedByClassroom: 'Points envoyés à GitHub Classroom par l’étape « autograding-grading-reporter ».',
    skippedExplained: 'Non évalué : {message}',
    errorExplained: 'Non évalué à cause d’un problème du correcteur (pas de votre rendu) : {message}',
    notGradable: 'Ce rendu ne peut pas être corrigé : {reason}',
    allErrored: 'aucune vérification n’a pu être évaluée (problème du moteur Docker, pas de votre rendu) ; cette tentative ne compte pas.',
    outputCapped: '[… {bytes} octets coupés pour tenir dans la limite de {limit} octets …]',
    pointsProperty: '{points}/{maxPoints} pt',
  },
  en: {
    heading: 'Autograding — {lab}: {title}',
    scoreLine: 'Score: **{score} / {maxScore}** ({percent} %)',
    allPassed: 'Every check passed.',
    someFailed: '{failed} of {total} check(s) to look at.',
    columnCheck: 'Check',
    columnStatus: 'Result',
    columnPoints: 'Points',
    failuresHeading: 'To look at',
    actionsHeading: 'What the grader did between checks',
    notesHeading: 'Good to know',
    outputBlock: 'Observed output ({lines} lines)',
    location: 'In {file}, line {line}',
    summaryTruncated: 'Summary truncated: it was over GitHub Actions’ limit of {limit} bytes per step. The step’s log has the full report.',
    gradedBy: 'Graded by dockerlab {version}, {isolation}, in {seconds} s.',
    isolationSandbox: 'in a throw-away Docker engine',
    isolationEngine: 'on the machine’s Docker engine',
    annotationTitle: '{title}: {points}/{maxPoints} pt',
    annotationErrorTitle: 'Not evaluated (grader problem): {title}',
    reportedByClassroom: 'Points are sent to GitHub Classroom by the "autograding-grading-reporter" step.',
    skippedExplained: 'Not evaluated: {message}',
    errorExplained: 'Not evaluated because of a grader problem (not your submission): {message}',
    notGradable: 'This submission cannot be graded: {reason}',
    allErrored: 'no check could be evaluated (a Docker engine problem, not your submission); this attempt does not count.',
    outputCapped: '[… {bytes} bytes cut to fit the limit of {limit} bytes …]',
    pointsProperty: '{points}/{maxPoints} pt',
  },
} satisfies Record<Lang, Record<string, string>>;

export type ReportMessageId = keyof (typeof REPORT_MESSAGES)['en'];

// Both languages must name the same ids: a missing French text is a compile error, not a blank line.
const sameIds: Record<ReportMessageId, string> = REPORT_MESSAGES.fr;
void sameIds;
