import path from 'node:path';
import { engineSees, RUN_LABEL, type Runtime } from '../engine/index.js';
import type { Lang } from '../i18n/lang.js';

const NOTE = {
  en: '{engine} is not on this machine and does not see {dir}: what your containers bind-mount from it ({mounts}) is the engine\'s own, empty, folder there, so checks that read those files fail for that reason, not yours. Grade where the engine is local, or from a folder the engine shares at the same path (DOCKERLAB_ENGINE_SHARES).',
  fr: '{engine} n’est pas sur cette machine et ne voit pas {dir} : ce que vos conteneurs y montent ({mounts}) est, là-bas, un dossier vide du moteur ; les vérifications qui lisent ces fichiers échouent pour cette raison, pas pour la vôtre. Corrigez là où le moteur est local, ou depuis un dossier que le moteur partage au même chemin (DOCKERLAB_ENGINE_SHARES).',
} as const satisfies Record<Lang, string>;

/**
 * On a remote engine, the bind mounts of the run's containers whose source is in the
 * submission folder but out of the engine's sight: "web: /home/me/lab-09/nginx.conf → /etc/nginx/conf.d/default.conf".
 */
export async function invisibleBindMounts(runtime: Runtime, runId: string, submissionDir: string): Promise<string[]> {
  if (!runtime.remote || engineSees(runtime, submissionDir)) return [];
  const containers = await runtime.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] }) }).catch(() => []);
  const root = path.resolve(submissionDir);
  return containers.flatMap((c) =>
    (c.Mounts ?? [])
      .filter((m) => m.Type === 'bind' && (m.Source === root || m.Source.startsWith(root + path.sep)))
      .map((m) => `${(c.Names?.[0] ?? c.Id).replace(/^\//, '')}: ${m.Source} → ${m.Destination}`),
  );
}

export function invisibleFilesNote(lang: Lang, runtime: Runtime, submissionDir: string, mounts: string[]): string {
  return NOTE[lang].replace('{engine}', runtime.description).replace('{dir}', submissionDir).replace('{mounts}', mounts.join('; '));
}
