import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, observe, targetContainer, truncate } from './common.js';
import { defineCheck } from './types.js';

/** The mount whose destination holds `file`, if any (the deepest one wins, as in the kernel). */
function mountHolding(mounts: { destination: string; type: string; source: string; name?: string }[], file: string) {
  const norm = (p: string) => p.replace(/\/+$/, '') || '/';
  return mounts
    .filter((m) => file === norm(m.destination) || file.startsWith(`${norm(m.destination)}/`))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
}

export const containerFile = defineCheck({
  kind: 'container-file',
  description: "A file in a container (read through the engine, no shell needed; a stopped container too) exists and contains a text; with `mounted: false` it must lie in the container's own filesystem (e.g. copied with `docker cp`), with `mounted: true` on a mount.",
  example: { container: 'site', path: '/usr/share/nginx/html/index.html', contains: 'Bonjour Docker', mounted: false },
  params: Type.Object({
    container: ContainerName,
    path: Type.String({ pattern: '^/', maxLength: 1000 }),
    contains: Type.Optional(Type.String({ maxLength: 1000 })),
    mounted: Type.Optional(Type.Boolean()),
  }),
  needs: containerNeeds,
  titleData: (check, say) => ({ containsText: check.contains ? say('containsText', { text: check.contains }) : '', where: check.mounted === false ? say('own') : check.mounted ? say('onMount') : '' }),
  messages: {
    en: {
      title: 'The container{named} holds {path}{containsText}{where}',
      containsText: ' containing "{text}"',
      own: ' in its own filesystem',
      onMount: ' on a mount',
      expected: '{path}{containsText}{where}',
      absent: '{path} does not exist in the container',
      content: '{path}: {content}',
      mountedThere: '{path} comes from a {type} mount ({source} → {destination}), not from the container\'s own filesystem',
      notMounted: '{path} is in the container\'s own filesystem, not on a mount',
    },
    fr: {
      title: 'Le conteneur{named} contient {path}{containsText}{where}',
      containsText: ' avec « {text} »',
      own: ' dans son propre système de fichiers',
      onMount: ' sur un montage',
      expected: '{path}{containsText}{where}',
      absent: "{path} n'existe pas dans le conteneur",
      content: '{path} : {content}',
      mountedThere: '{path} vient d’un montage {type} ({source} → {destination}), pas du système de fichiers propre au conteneur',
      notMounted: '{path} est dans le système de fichiers propre au conteneur, pas sur un montage',
    },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { path: check.path, containsText: check.contains ? say('containsText', { text: check.contains }) : '', where: check.mounted === false ? say('own') : check.mounted ? say('onMount') : '' });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    // Where the file comes from is known from the mounts alone: no need to read it when that already fails.
    const mount = check.mounted === undefined ? undefined : mountHolding((await container.state()).mounts, path.posix.normalize(check.path));
    if (check.mounted === false && mount) return { passed: false, expected, observed: say('mountedThere', { path: check.path, type: mount.type, source: mount.name ?? mount.source, destination: mount.destination }) };
    const content = await container.readFile(check.path);
    if (content === null) return { passed: false, expected, observed: say('absent', { path: check.path }) };
    const shown = say('content', { path: check.path, content: truncate(content.replace(/\s+/g, ' '), 200) || '∅' });
    if (check.contains !== undefined && !content.includes(check.contains)) return { passed: false, expected, observed: shown };
    if (check.mounted === true && !mount) return { passed: false, expected, observed: say('notMounted', { path: check.path }) };
    return { passed: true, expected, observed: shown };
  },
});

export const containerMount = defineCheck({
  kind: 'container-mount',
  description: 'A container has a mount at `destination`: of a given `type` (volume or bind), of the named `volume`, or binding `source` (a path relative to the submission folder), read-only when `readOnly` is true (`:ro` and `--mount …,readonly` alike).',
  example: { container: 'dev', destination: '/usr/share/nginx/html', type: 'bind', source: 'site', readOnly: true },
  params: Type.Object({
    container: ContainerName,
    destination: Type.String({ pattern: '^/', maxLength: 1000 }),
    type: Type.Optional(Type.Union([Type.Literal('volume'), Type.Literal('bind'), Type.Literal('tmpfs')])),
    volume: Type.Optional(Type.String({ maxLength: 256 })),
    source: Type.Optional(Type.String({ maxLength: 1000, description: 'For a bind mount: the host folder, relative to the submission folder.' })),
    readOnly: Type.Optional(Type.Boolean()),
  }),
  needs: containerNeeds,
  titleData: (check, say) => ({
    what: check.volume ? say('theVolume', { volume: check.volume }) : check.source ? say('theFolder', { source: check.source }) : check.type ? say('aType', { type: check.type }) : say('aMount'),
    ro: check.readOnly ? say('readOnlyText') : '',
  }),
  messages: {
    en: {
      title: 'The container{named} mounts {what} at {destination}{ro}',
      theVolume: 'the volume "{volume}"',
      theFolder: 'the folder {source}/',
      aType: 'a {type} mount',
      aMount: 'something',
      readOnlyText: ', read-only',
      expected: '{what} at {destination}{ro}',
      none: 'nothing is mounted at {destination}; mounts: {mounts}',
      observed: '{type} {source} → {destination} ({mode})',
      rw: 'read-write',
      ro: 'read-only',
    },
    fr: {
      title: 'Le conteneur{named} monte {what} sur {destination}{ro}',
      theVolume: 'le volume « {volume} »',
      theFolder: 'le dossier {source}/',
      aType: 'un montage {type}',
      aMount: 'quelque chose',
      readOnlyText: ', en lecture seule',
      expected: '{what} sur {destination}{ro}',
      none: 'rien n’est monté sur {destination} ; montages : {mounts}',
      observed: '{type} {source} → {destination} ({mode})',
      rw: 'lecture-écriture',
      ro: 'lecture seule',
    },
  },
  async evaluate(check, ctx, say) {
    const what = check.volume ? say('theVolume', { volume: check.volume }) : check.source ? say('theFolder', { source: check.source }) : check.type ? say('aType', { type: check.type }) : say('aMount');
    const expected = say('expected', { what, destination: check.destination, ro: check.readOnly ? say('readOnlyText') : '' });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { mounts } = await container.state();
    const norm = (p: string) => p.replace(/\/+$/, '') || '/';
    const mount = mounts.find((m) => norm(m.destination) === norm(check.destination));
    const describe = (m: (typeof mounts)[number]) => say('observed', { type: m.type, source: m.name ?? m.source, destination: m.destination, mode: m.rw ? say('rw') : say('ro') });
    if (!mount) return { passed: false, expected, observed: say('none', { destination: check.destination, mounts: mounts.map(describe).join('; ') || observe(ctx.lang, 'none') }) };
    const wantedType = check.type ?? (check.volume ? 'volume' : check.source ? 'bind' : undefined);
    const sourceOk = check.source === undefined || norm(mount.source) === norm(path.posix.join(ctx.submissionDirInEngine, check.source));
    const passed = (wantedType === undefined || mount.type === wantedType)
      && (check.volume === undefined || mount.name === check.volume)
      && sourceOk
      && (check.readOnly === undefined || mount.rw === !check.readOnly);
    return { passed, expected, observed: describe(mount) };
  },
});

export const volumeExists = defineCheck({
  kind: 'volume-exists',
  description: 'A named volume exists on the engine.',
  example: { volume: 'donnees' },
  params: Type.Object({ volume: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 256 }) }),
  needs: [],
  messages: {
    en: { title: 'The volume "{volume}" exists', expected: 'a volume named {volume}', observed: 'volume {volume} (driver {driver})', absent: 'no volume named {volume}' },
    fr: { title: 'Le volume « {volume} » existe', expected: 'un volume nommé {volume}', observed: 'volume {volume} (pilote {driver})', absent: 'aucun volume nommé {volume}' },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { volume: check.volume });
    const volume = await ctx.findVolume(check.volume);
    return volume ? { passed: true, expected, observed: say('observed', { volume: volume.name, driver: volume.driver }) } : { passed: false, expected, observed: say('absent', { volume: check.volume }) };
  },
});
