import { format, type Lang } from './lang.js';

/** A catalog: every id in English, the same ids in French (a missing one is a compile error). */
export type Catalog<Id extends string> = { en: Record<Id, string>; fr: Record<Id, string> };

const en = {
  expected: 'expected',
  observed: 'observed',
  hint: 'hint',
  skippedRequires: 'not evaluated: prerequisite "{ids}" did not pass',
  skippedBuild: 'not evaluated: the image did not build',
  skippedContainer: 'not evaluated: the container could not be created ({reason})',
  skippedScript: 'not evaluated: the script could not be run',
  skippedRebuild: 'not evaluated: the grader\'s rebuild did not happen',
  skippedStop: 'not evaluated: the grader did not stop the container',
  skippedDeadline: 'not evaluated: the time for the whole grading ({seconds} s) ran out',
  skippedInterrupted: 'not evaluated: the grading was interrupted',
  error: 'could not be evaluated (a Docker engine problem, not your submission): {reason}',
  internalError: 'could not be evaluated (a fault in the grader itself, not your submission): {reason}',
  score: 'Score',
  submission: 'Submission',
  removedBefore: 'Before the script, the grader removed: {list}.',
  removedAfter: 'After grading, the grader removed: {list}.',
  scriptLimits: 'Containers your script starts get a grader label and limits (memory {memory} MiB, {cpus} CPU, {pids} processes) unless you set your own.',
  sandboxed: 'Your commands ran in a sandbox: a throw-away Docker engine of the grader (memory {memory} MiB, {cpus} CPU, {pids} processes, {lifetime} s at most), removed afterwards with everything in it. Your own containers, images and volumes were not touched.',
  sandboxOff: 'Sandbox off (--sandbox off): your commands ran on the machine\'s own engine, with the grader\'s labels and limits added to what they create. Use this only for trusted work.',
  containerStarted: 'Container started from the built image (ports published on the host: {ports}).',
  notReady: 'The container did not answer HTTP on port {port} within {seconds} s.',
  notReadyHopeless: 'The container does not answer HTTP on port {port}, and waiting would not help: {why}',
  exitedEarly: 'The container stopped right after it started (exit code {code}).',
  startFailed: 'The container could not start: {reason}',
  crlf: '{script} has Windows line endings (CRLF): the grader ran it with Unix line endings. Save it as "LF".',
  scriptFailed: '{script} ended with exit code {code} (did a command fail?). Last lines:\n{tail}',
  scriptOutputCut: '{script} printed {size}: only the last part was kept.',
  fullLog: 'Full output: {file}',
  alpineStandIn: 'No registry answers here: {requested} is served by {servedBy}, a Debian-based stand-in (same paths and command, but no apk). With a registry, the real Alpine image is used.',
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  errorStatus: 'error',
  done: 'done',
  allPassed: 'All good, well done!',
  someFailed: '{failed} check(s) to look at.',
  actionSkipped: 'not done: prerequisite "{ids}" did not pass',
  actionNeeds: 'not done: {reason}',
  missingDeliverable: '{file} is not in the submission ({folder}): there is nothing to grade. Put your {file} at the root of the lab folder.',
} as const;

const fr: Record<keyof typeof en, string> = {
  expected: 'attendu',
  observed: 'observé',
  hint: 'piste',
  skippedRequires: 'non évalué : le prérequis « {ids} » a échoué',
  skippedBuild: "non évalué : l'image ne s'est pas construite",
  skippedContainer: "non évalué : le conteneur n'a pas pu être créé ({reason})",
  skippedScript: "non évalué : le script n'a pas pu être lancé",
  skippedRebuild: "non évalué : la reconstruction par le correcteur n'a pas eu lieu",
  skippedStop: "non évalué : le correcteur n'a pas arrêté le conteneur",
  skippedDeadline: 'non évalué : le temps de la correction ({seconds} s) est écoulé',
  skippedInterrupted: 'non évalué : la correction a été interrompue',
  error: "n'a pas pu être évalué (problème du moteur Docker, pas de votre rendu) : {reason}",
  internalError: "n'a pas pu être évalué (défaut du correcteur lui-même, pas de votre rendu) : {reason}",
  score: 'Score',
  submission: 'Rendu',
  removedBefore: 'Avant le script, le correcteur a supprimé : {list}.',
  removedAfter: 'Après la correction, le correcteur a supprimé : {list}.',
  scriptLimits: 'Les conteneurs lancés par votre script reçoivent un label du correcteur et des limites (mémoire {memory} Mio, {cpus} CPU, {pids} processus), sauf si vous en fixez vous-même.',
  sandboxed: 'Vos commandes ont tourné dans un bac à sable : un moteur Docker jetable du correcteur (mémoire {memory} Mio, {cpus} CPU, {pids} processus, {lifetime} s au plus), supprimé ensuite avec tout son contenu. Vos propres conteneurs, images et volumes n’ont pas été touchés.',
  sandboxOff: 'Bac à sable désactivé (--sandbox off) : vos commandes ont tourné sur le moteur de la machine, avec les labels et limites du correcteur ajoutés à ce qu’elles créent. À réserver à un travail de confiance.',
  containerStarted: "Conteneur démarré depuis l'image construite (ports publiés sur l'hôte : {ports}).",
  notReady: "Le conteneur n'a pas répondu en HTTP sur le port {port} en {seconds} s.",
  notReadyHopeless: "Le conteneur ne répond pas en HTTP sur le port {port}, et attendre n'y changerait rien : {why}",
  exitedEarly: "Le conteneur s'est arrêté juste après son démarrage (code {code}).",
  startFailed: "Le conteneur n'a pas pu démarrer : {reason}",
  crlf: '{script} a des fins de ligne Windows (CRLF) : le correcteur l’a exécuté avec des fins de ligne Unix. Enregistrez-le en « LF ».',
  scriptFailed: '{script} s’est terminé avec le code {code} (une commande a échoué ?). Dernières lignes :\n{tail}',
  scriptOutputCut: '{script} a affiché {size} : seule la fin a été gardée.',
  fullLog: 'Sortie complète : {file}',
  alpineStandIn: "Aucun registre ne répond ici : {requested} est remplacée par {servedBy}, une image de substitution basée sur Debian (mêmes chemins et commande, mais pas d'apk). Avec un registre, l'image Alpine réelle est utilisée.",
  passed: 'réussi',
  failed: 'échoué',
  skipped: 'ignoré',
  errorStatus: 'erreur',
  done: 'fait',
  allPassed: 'Tout est bon, bravo !',
  someFailed: '{failed} vérification(s) à revoir.',
  actionSkipped: 'non fait : le prérequis « {ids} » a échoué',
  actionNeeds: 'non fait : {reason}',
  missingDeliverable: "{file} n'est pas dans le rendu ({folder}) : il n'y a rien à corriger. Placez votre {file} à la racine du dossier du lab.",
};

/** The grader's own words (checks and actions carry theirs). */
export const MESSAGES: Catalog<keyof typeof en> = { en, fr };

export type MessageId = keyof typeof en;

export function sayIn(lang: Lang): (id: MessageId, data?: Record<string, unknown>) => string {
  return (id, data) => format(MESSAGES[lang][id], data);
}
