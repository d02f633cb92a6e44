import { containerFile, containerMount, volumeExists } from '../../../grader/src/checks/container-files.js';
import { EXITED, testCheckKind } from '../../helpers/check-tester.js';

const html = '<html><body>Bonjour Docker</body></html>';

testCheckKind(containerFile as never, {
  passing: [
    { name: 'copied into the container', check: { container: 'site', path: '/usr/share/nginx/html/index.html', contains: 'Bonjour Docker', mounted: false }, world: { named: { site: { files: { '/usr/share/nginx/html/index.html': html }, state: { mounts: [] } } } }, observed: 'Bonjour Docker' },
    { name: 'in a volume, read from a stopped container', check: { container: 'relecture', path: '/data/message.txt', contains: 'persistant' }, world: { named: { relecture: { state: EXITED(0), files: { '/data/message.txt': 'persistant\n' } } } } },
    { name: 'on a mount, as asked', check: { container: 'c', path: '/data/x', mounted: true }, world: { named: { c: { files: { '/data/x': '1' }, state: { mounts: [{ type: 'volume', name: 'donnees', source: '/var/lib/docker/volumes/donnees/_data', destination: '/data', rw: true }] } } } } },
    { name: 'a mount elsewhere does not count', check: { container: 'site', path: '/usr/share/nginx/html/index.html', mounted: false }, world: { named: { site: { files: { '/usr/share/nginx/html/index.html': html }, state: { mounts: [{ type: 'bind', source: '/srv/logs', destination: '/var/log/nginx', rw: true }] } } } } },
  ],
  failing: [
    { name: 'bind-mounted instead of copied', check: { container: 'site', path: '/usr/share/nginx/html/index.html', contains: 'Bonjour Docker', mounted: false }, world: { named: { site: { files: { '/usr/share/nginx/html/index.html': html }, state: { mounts: [{ type: 'bind', source: '/home/s/lab/index.html', destination: '/usr/share/nginx/html/index.html', rw: true }] } } } }, observed: 'comes from a bind mount (/home/s/lab/index.html' },
    { name: 'the folder above is mounted', check: { container: 'site', path: '/usr/share/nginx/html/index.html', mounted: false }, world: { named: { site: { files: { '/usr/share/nginx/html/index.html': html }, state: { mounts: [{ type: 'bind', source: '/home/s/lab', destination: '/usr/share/nginx/html/', rw: true }] } } } }, observed: 'bind mount' },
    { name: 'the file is missing', check: { container: 'site', path: '/usr/share/nginx/html/index.html', contains: 'Bonjour' }, world: { named: { site: { files: {} } } }, observed: 'does not exist in the container' },
    { name: 'the default page is still there', check: { container: 'site', path: '/usr/share/nginx/html/index.html', contains: 'Bonjour Docker' }, world: { named: { site: { files: { '/usr/share/nginx/html/index.html': '<h1>Welcome to nginx!</h1>' } } } }, observed: 'Welcome to nginx!' },
    { name: 'not on a mount when it should be', check: { container: 'c', path: '/data/x', mounted: true }, world: { named: { c: { files: { '/data/x': '1' }, state: { mounts: [] } } } }, observed: "in the container's own filesystem" },
    { name: 'no such container, in French', lang: 'fr', check: { container: 'stockage', path: '/data/message.txt' }, world: {}, observed: "aucun conteneur nommé « stockage » n'existe" },
  ],
});

const volumeAt = (destination: string, name: string, rw = true) => ({ type: 'volume', name, source: `/var/lib/docker/volumes/${name}/_data`, destination, rw });
const bindAt = (destination: string, source: string, rw: boolean) => ({ type: 'bind', source, destination, rw });

testCheckKind(containerMount as never, {
  passing: [
    { name: 'the named volume at /data', check: { container: 'stockage', destination: '/data', type: 'volume', volume: 'donnees' }, world: { named: { stockage: { state: { mounts: [volumeAt('/data', 'donnees')] } } } }, observed: 'volume donnees → /data (read-write)' },
    { name: 'a trailing slash in -v donnees:/data/', check: { container: 'stockage', destination: '/data', volume: 'donnees' }, world: { named: { stockage: { state: { mounts: [volumeAt('/data/', 'donnees')] } } } } },
    { name: 'the site folder bound read-only', check: { container: 'dev', destination: '/usr/share/nginx/html', type: 'bind', source: 'site', readOnly: true }, world: { submissionDirInEngine: '/work/submission', named: { dev: { state: { mounts: [bindAt('/usr/share/nginx/html', '/work/submission/site', false)] } } } } },
    { name: 'site/ with a trailing slash', check: { container: 'dev', destination: '/usr/share/nginx/html', source: 'site', readOnly: true }, world: { submissionDirInEngine: '/work/submission', named: { dev: { state: { mounts: [bindAt('/usr/share/nginx/html', '/work/submission/site/', false)] } } } } },
  ],
  failing: [
    { name: 'mounted at /tmp instead', check: { container: 'stockage', destination: '/data', volume: 'donnees' }, world: { named: { stockage: { state: { mounts: [volumeAt('/tmp', 'donnees')] } } } }, observed: 'nothing is mounted at /data; mounts: volume donnees → /tmp' },
    { name: 'an anonymous volume', check: { container: 'stockage', destination: '/data', type: 'volume', volume: 'donnees' }, world: { named: { stockage: { state: { mounts: [volumeAt('/data', '3f9a2c')] } } } }, observed: 'volume 3f9a2c → /data' },
    { name: 'a bind mount where a volume is asked', check: { container: 'stockage', destination: '/data', volume: 'donnees' }, world: { named: { stockage: { state: { mounts: [bindAt('/data', '/home/s/donnees', true)] } } } }, observed: 'bind /home/s/donnees → /data' },
    { name: 'bound read-write (no :ro)', check: { container: 'dev', destination: '/usr/share/nginx/html', source: 'site', readOnly: true }, world: { submissionDirInEngine: '/work/submission', named: { dev: { state: { mounts: [bindAt('/usr/share/nginx/html', '/work/submission/site', true)] } } } }, observed: '(read-write)' },
    { name: 'another folder bound', check: { container: 'dev', destination: '/usr/share/nginx/html', source: 'site', readOnly: true }, world: { submissionDirInEngine: '/work/submission', named: { dev: { state: { mounts: [bindAt('/usr/share/nginx/html', '/tmp/www', false)] } } } }, observed: 'bind /tmp/www' },
    { name: 'no mounts at all, in French', lang: 'fr', check: { container: 'dev', destination: '/usr/share/nginx/html', readOnly: true }, world: { named: { dev: { state: { mounts: [] } } } }, observed: 'rien n’est monté sur /usr/share/nginx/html ; montages : (aucun)' },
  ],
  invalid: [{ name: 'a relative destination', check: { container: 'dev', destination: 'data' }, problem: /pattern/ }],
});

testCheckKind(volumeExists as never, {
  passing: [{ name: 'it exists', check: { volume: 'donnees' }, world: { volumes: { donnees: { driver: 'local' } } }, observed: 'volume donnees (driver local)' }],
  failing: [
    { name: 'absent', check: { volume: 'donnees' }, world: { volumes: { donnee: {} } }, observed: 'no volume named donnees' },
    { name: 'absent, in French', lang: 'fr', check: { volume: 'donnees' }, world: {}, observed: 'aucun volume nommé donnees' },
  ],
  invalid: [{ name: 'a name with a slash', check: { volume: 'a/b' }, problem: /pattern/ }],
});
