import { Type } from '@sinclair/typebox';
import { ContainerName, containerNeeds, isObservation, observe, targetContainer } from './common.js';
import { defineCheck } from './types.js';

/** Compose labels its volumes with the project and the name the file gives them. */
const PROJECT_LABEL = 'com.docker.compose.project';
const VOLUME_KEY_LABEL = 'com.docker.compose.volume';
const ANONYMOUS = /^[0-9a-f]{64}$/;

export const namedVolumeMount = defineCheck({
  kind: 'named-volume-mount',
  example: { container: 'cache', destination: '/data' },
  description: "A container keeps `destination` in a named volume: not a bind mount, not an anonymous volume (an image's VOLUME, `-v /data`), which a new container does not get back. With `volume`, that name: as the compose file writes it (compose's project prefix, `proj_data`, is ignored) or as `docker volume ls` shows it.",
  params: Type.Object({
    container: ContainerName,
    destination: Type.String({ pattern: '^/', maxLength: 1000 }),
    volume: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$', maxLength: 256 })),
  }),
  needs: containerNeeds,
  titleData: (check, say) => ({ which: check.volume ? say('which', { volume: check.volume }) : '' }),
  messages: {
    en: {
      title: 'The container{named} keeps {destination} in a named volume{which}',
      which: ' ("{volume}")',
      expected: 'a named volume{which} mounted at {destination}',
      none: 'nothing is mounted at {destination}: the data stays in the container\'s own layer and goes with it; mounts: {mounts}',
      bind: 'a bind mount of the host folder {source} at {destination}, not a volume',
      anonymous: 'an anonymous volume ({name}…) at {destination}: a new container gets a new one, so the data does not come back after down/up (name the volume and declare it)',
      other: 'a {type} mount at {destination}',
      named: 'volume "{name}"{engineName} at {destination} ({mode})',
      engineName: ' (on the engine: {full})',
      rw: 'read-write',
      ro: 'read-only',
    },
    fr: {
      title: 'Le conteneur{named} garde {destination} dans un volume nommé{which}',
      which: ' (« {volume} »)',
      expected: 'un volume nommé{which} monté sur {destination}',
      none: "rien n'est monté sur {destination} : les données restent dans la couche propre au conteneur et partent avec lui ; montages : {mounts}",
      bind: "un montage lié du dossier de l'hôte {source} sur {destination}, pas un volume",
      anonymous: 'un volume anonyme ({name}…) sur {destination} : un nouveau conteneur en reçoit un autre, donc les données ne reviennent pas après down/up (nommez le volume et déclarez-le)',
      other: 'un montage {type} sur {destination}',
      named: 'volume « {name} »{engineName} sur {destination} ({mode})',
      engineName: ' (sur le moteur : {full})',
      rw: 'lecture-écriture',
      ro: 'lecture seule',
    },
  },
  async evaluate(check, ctx, say) {
    const expected = say('expected', { destination: check.destination, which: check.volume ? say('which', { volume: check.volume }) : '' });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const { mounts } = await container.state();
    const norm = (p: string) => p.replace(/\/+$/, '') || '/';
    const mount = mounts.find((m) => norm(m.destination) === norm(check.destination));
    if (!mount) {
      const list = mounts.map((m) => `${m.type} ${m.name ?? m.source} → ${m.destination}`).join('; ') || observe(ctx.lang, 'none');
      return { passed: false, expected, observed: say('none', { destination: check.destination, mounts: list }) };
    }
    if (mount.type === 'bind') return { passed: false, expected, observed: say('bind', { source: mount.source, destination: mount.destination }) };
    if (mount.type !== 'volume' || !mount.name) return { passed: false, expected, observed: say('other', { type: mount.type, destination: mount.destination }) };
    if (ANONYMOUS.test(mount.name)) return { passed: false, expected, observed: say('anonymous', { name: mount.name.slice(0, 12), destination: mount.destination }) };
    const volume = await ctx.findVolume(mount.name);
    const composeKey = volume?.labels[PROJECT_LABEL] ? volume.labels[VOLUME_KEY_LABEL] : undefined;
    const shownName = composeKey ?? mount.name;
    const observed = say('named', { name: shownName, engineName: composeKey && composeKey !== mount.name ? say('engineName', { full: mount.name }) : '', destination: mount.destination, mode: mount.rw ? say('rw') : say('ro') });
    const passed = check.volume === undefined || check.volume === mount.name || check.volume === composeKey;
    return { passed, expected, observed };
  },
});
