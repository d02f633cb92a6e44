import { imageBase } from '../../../grader/src/checks/image-base.js';
import { imageEnv, imageExecForm, imageExposes, imageLabel, imageWorkdir } from '../../../grader/src/checks/image-config.js';
import { imageEnvSecretsAbsent, imageFilesAbsent, imageSize, imageStages } from '../../../grader/src/checks/image-files.js';
import { imageUserNonRoot } from '../../../grader/src/checks/image-user-non-root.js';
import { buildCacheReused } from '../../../grader/src/checks/build-cache.js';
import { testCheckKind } from '../../helpers/check-tester.js';

const dockerfile = (text: string) => ({ build: { dockerfileText: text } });
const passwd = 'root:x:0:0:root:/root:/bin/bash\nappuser:x:1000:1000::/home/appuser:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n';

testCheckKind(imageBase as never, {
  passing: [
    { name: 'python:3.11-slim', check: { repository: 'python', tagPattern: '^3\\.11(\\.\\d+)?(-|$)' }, world: dockerfile('FROM python:3.11-slim\n'), observed: 'FROM python:3.11-slim (line 1)' },
    { name: 'through an ARG and a stage', check: { repository: 'python', tagPattern: '^3\\.11' }, world: dockerfile('ARG V=3.11.9-slim\nFROM python:${V} AS base\nFROM base\n') },
    { name: 'a Docker Hub prefix', check: { repository: 'nginx' }, world: dockerfile('FROM docker.io/library/nginx:1.27-alpine\n') },
  ],
  failing: [
    { name: 'no tag', check: { repository: 'python' }, world: dockerfile('FROM python\n'), observed: 'no tag, so Docker uses "latest"', location: { file: 'Dockerfile', line: 1 } },
    { name: 'latest', check: { repository: 'nginx' }, world: dockerfile('# base\nFROM nginx:latest\n'), observed: '"latest" changes without notice', location: { file: 'Dockerfile', line: 2 } },
    { name: 'another version', check: { repository: 'python', tagPattern: '^3\\.11' }, world: dockerfile('FROM python:3.12-slim\n'), observed: 'the tag does not match ^3\\.11' },
    { name: 'another image', check: { repository: 'python' }, world: dockerfile('FROM debian:bookworm-slim\n'), observed: 'that is not python' },
    { name: 'final stage FROM scratch', check: { repository: 'python' }, world: dockerfile('FROM gcc:12 AS b\nFROM scratch\n'), observed: 'final stage is FROM scratch' },
    { name: 'no Dockerfile, in French', lang: 'fr', check: { repository: 'python' }, world: { build: { dockerfileText: null } }, observed: 'pas de Dockerfile' },
  ],
});

testCheckKind(imageExposes as never, {
  passing: [{ name: 'EXPOSE 8080', check: { port: 8080 }, world: { image: { config: { exposedPorts: ['8080/tcp'] } } } }],
  failing: [
    { name: 'EXPOSE 80 only', check: { port: 8080 }, world: { image: { config: { exposedPorts: ['80/tcp'] } } }, observed: 'exposed ports: 80/tcp' },
    { name: 'nothing exposed, in French', lang: 'fr', check: { port: 8080 }, world: { image: { config: { exposedPorts: [] } } }, observed: 'ports exposés : (aucun)' },
    { name: 'udp instead of tcp', check: { port: 8080 }, world: { image: { config: { exposedPorts: ['8080/udp'] } } } },
  ],
});

testCheckKind(imageEnv as never, {
  passing: [{ name: 'PYTHONUNBUFFERED=1', check: { name: 'PYTHONUNBUFFERED', value: '1' }, world: { image: { config: { env: { PYTHONUNBUFFERED: '1' } } } } }],
  failing: [
    { name: 'absent', check: { name: 'PYTHONUNBUFFERED', value: '1' }, world: { image: { config: { env: {} } } }, observed: 'PYTHONUNBUFFERED is not set' },
    { name: 'another value', check: { name: 'PYTHONUNBUFFERED', value: '1' }, world: { image: { config: { env: { PYTHONUNBUFFERED: 'true' } } } }, observed: 'PYTHONUNBUFFERED=true' },
  ],
});

testCheckKind(imageWorkdir as never, {
  passing: [{ name: '/app/ with a slash', check: { path: '/app' }, world: { image: { config: { workdir: '/app/' } } } }],
  failing: [{ name: 'none set', check: { path: '/app' }, world: { image: { config: { workdir: '' } } }, observed: 'WORKDIR / (none)' }, { name: 'another one', check: { path: '/app' }, world: { image: { config: { workdir: '/usr/src/app' } } } }],
});

testCheckKind(imageLabel as never, {
  passing: [{ name: 'version, any value', check: { name: 'version' }, world: { image: { config: { labels: { version: '1.0' } } } } }],
  failing: [
    { name: 'absent; the grader\'s and stand-in labels are not listed', check: { name: 'version' }, world: { image: { config: { labels: { 'dockerlab.run': 'x', maintainer: 'me' } } } }, observed: 'labels: maintainer=me', expected: 'LABEL version (any value)' },
    { name: 'a wrong value, in French', lang: 'fr', check: { name: 'version', value: '2' }, world: { image: { config: { labels: { version: '1' } } } }, observed: 'labels : version=1' },
  ],
});

testCheckKind(imageExecForm as never, {
  passing: [
    { name: 'CMD in JSON', check: {}, world: { image: { config: { cmd: ['python', 'app.py'] } } } },
    { name: 'ENTRYPOINT + CMD in JSON', check: {}, world: { image: { config: { entrypoint: ['python'], cmd: ['app.py'] } } } },
    { name: 'a script as entrypoint (not a shell -c)', check: {}, world: { image: { config: { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] } } } },
  ],
  failing: [
    { name: 'CMD in shell form', check: {}, world: { ...dockerfile('FROM python:3.11-slim\nCMD python app.py\n'), image: { config: { cmd: ['/bin/sh', '-c', 'python app.py'] } } }, observed: 'CMD ["/bin/sh","-c","python app.py"] goes through /bin/sh -c', location: { file: 'Dockerfile', line: 2 } },
    { name: 'ENTRYPOINT in shell form: the fault is ENTRYPOINT, not CMD', check: {}, world: { ...dockerfile('FROM python:3.11-slim\nENTRYPOINT python app.py\nCMD ["--port", "8080"]\n'), image: { config: { entrypoint: ['/bin/sh', '-c', 'python app.py'], cmd: ['--port', '8080'] } } }, observed: /ENTRYPOINT .* is in shell form.*any CMD is ignored/, location: { file: 'Dockerfile', line: 2 } },
    { name: 'sh -c written in JSON, in French', lang: 'fr', check: {}, world: { image: { config: { cmd: ['sh', '-c', 'python app.py'] } } }, observed: 'passe par /bin/sh -c' },
  ],
});

testCheckKind(imageUserNonRoot as never, {
  passing: [
    { name: 'USER appuser', check: {}, world: { image: { config: { user: 'appuser' }, files: { '/etc/passwd': passwd } } }, observed: 'uid 1000' },
    { name: 'USER 1001 unknown to passwd', check: {}, world: { image: { config: { user: '1001:1001' }, files: { '/etc/passwd': passwd } } } },
    { name: 'USER nobody', check: {}, world: { image: { config: { user: 'nobody' }, files: { '/etc/passwd': 'nobody:x:65534:65534::/:/usr/sbin/nologin\n' } } } },
  ],
  failing: [
    { name: 'no USER', check: {}, world: { ...dockerfile('FROM python:3.11-slim\nCMD ["python"]\n'), image: { config: { user: '' } } }, observed: 'no USER: the default user is root', location: { file: 'Dockerfile', line: 1 } },
    { name: 'a name mapped to uid 0', check: {}, world: { ...dockerfile('FROM python:3.11-slim\nUSER toor\n'), image: { config: { user: 'toor' }, files: { '/etc/passwd': passwd } } }, observed: 'uid 0', location: { file: 'Dockerfile', line: 2 } },
    { name: 'an unknown user', check: {}, world: { image: { config: { user: 'app' }, files: { '/etc/passwd': passwd } } }, observed: 'is not in the image\'s /etc/passwd' },
    { name: 'an unknown group', check: {}, world: { image: { config: { user: 'appuser:staff' }, files: { '/etc/passwd': passwd, '/etc/group': 'root:x:0:\n' } } }, observed: 'group "staff"' },
    { name: 'USER 0, in French', lang: 'fr', check: {}, world: { image: { config: { user: '0' }, files: { '/etc/passwd': passwd } } }, observed: 'USER « 0 » → uid 0' },
  ],
});

const lists = '/var/lib/apt/lists/';
testCheckKind(imageFilesAbsent as never, {
  passing: [
    { name: 'no secrets anywhere', check: { names: ['secrets.env'], in: 'image-and-added-layers' }, world: { ...dockerfile('FROM python:3.11-slim\nCOPY . /app\n'), images: { 'python:3.11-slim': { layers: ['sha256:base1'] } }, image: { filesystem: [{ path: '/app/app.py' }], addedLayers: [{ path: '/app/app.py', layer: 3 }] } }, observed: 'none found (final filesystem read, 1 added layer(s) read)' },
    { name: 'apt lists removed in the same RUN (only the directory remains)', check: { paths: [lists], in: 'added-layers' }, world: { image: { addedLayers: [{ path: '/var/lib/apt/lists', type: 'directory', layer: 2 }, { path: '/usr/bin/curl', layer: 2 }] } } },
    { name: 'no compiler in a scratch image', check: { namesMatch: '^((x86_64|aarch64)-linux-gnu-)?(gcc|g\\+\\+|cc|c\\+\\+|cc1|cc1plus)(-[0-9]+)?$', in: 'image' }, world: { image: { filesystem: [{ path: '/hello' }] } } },
    { name: 'a gcc directory is not a compiler', check: { names: ['gcc'], in: 'image' }, world: { image: { filesystem: [{ path: '/usr/lib/gcc', type: 'directory' }] } } },
  ],
  failing: [
    { name: 'secrets.env copied by COPY . .', check: { names: ['secrets.env'], in: 'image-and-added-layers' }, world: { image: { filesystem: [{ path: '/app/secrets.env' }], addedLayers: [{ path: '/app/secrets.env', layer: 4, createdBy: 'COPY dir:abc in /app' }] } }, observed: /found 1: \/app\/secrets\.env$/ },
    { name: 'removed by a later RUN, still in its layer', check: { names: ['secrets.env'], in: 'image-and-added-layers' }, world: { image: { filesystem: [], addedLayers: [{ path: '/app/secrets.env', layer: 4, createdBy: 'COPY dir:abc in /app' }] } }, observed: '/app/secrets.env (layer 4: COPY dir:abc in /app)' },
    { name: 'apt lists left by a separate RUN rm', check: { paths: [lists], in: 'added-layers' }, world: { image: { addedLayers: [{ path: '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', layer: 2, createdBy: 'apt-get update' }] } }, observed: 'layer 2: apt-get update' },
    { name: 'a versioned compiler link', check: { namesMatch: '^((x86_64|aarch64)-linux-gnu-)?(gcc|g\\+\\+|cc|c\\+\\+|cc1|cc1plus)(-[0-9]+)?$', in: 'image' }, world: { image: { filesystem: [{ path: '/usr/bin/x86_64-linux-gnu-g++-12', type: 'symlink' }, { path: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus' }] } }, observed: 'found 2' },
    { name: 'many found are cut, in French', lang: 'fr', check: { names: ['a'], in: 'image' }, world: { image: { filesystem: Array.from({ length: 10 }, (_, i) => ({ path: `/d${i}/a` })) } }, observed: /10 trouvé\(s\) : .*, …$/ },
  ],
  invalid: [
    { name: 'nothing to look for', check: { in: 'image' }, problem: 'give at least one of "names", "namesMatch", "paths" or "submissionFiles"' },
    { name: 'an unknown scope', check: { names: ['x'], in: 'layers' }, problem: /in/ },
  ],
});

testCheckKind(imageSize as never, {
  passing: [{ name: '80 MB', check: { maxBytes: 100_000_000 }, world: { image: { config: { sizeBytes: 80_123_456 } } }, observed: '80 MB' }],
  failing: [
    { name: 'the gcc image', check: { maxBytes: 100_000_000 }, world: { image: { config: { sizeBytes: 1_391_000_000 } } }, observed: '1391 MB (1391000000 bytes)' },
    { name: 'exactly the limit', check: { maxBytes: 100_000_000 }, world: { image: { config: { sizeBytes: 100_000_000 } } } },
  ],
});

testCheckKind(imageStages as never, {
  passing: [{ name: 'two stages', check: { min: 2 }, world: dockerfile('FROM gcc:12 AS build\nRUN g++ -o /hello main.cpp\nFROM debian:bookworm-slim\nCOPY --from=build /hello /hello\n'), observed: 'FROM gcc:12 AS build (l. 1), FROM debian:bookworm-slim (l. 3)' }],
  failing: [
    { name: 'one stage', check: { min: 2 }, world: dockerfile('FROM gcc:12\nRUN g++ -o /hello main.cpp\n'), observed: '1 stage(s)', location: { file: 'Dockerfile', line: 1 } },
    { name: 'no Dockerfile, in French', lang: 'fr', check: { min: 2 }, world: { build: { dockerfileText: null } }, observed: 'pas de Dockerfile' },
  ],
});

testCheckKind(imageEnvSecretsAbsent as never, {
  passing: [
    { name: "the base image's GPG_KEY does not count", check: { namePattern: 'PASSWORD|SECRET|TOKEN|KEY' }, world: { ...dockerfile('FROM python:3.11-slim\nENV PORT=8080\n'), images: { 'python:3.11-slim': { env: { GPG_KEY: 'A035C8C1' } } }, image: { config: { env: { GPG_KEY: 'A035C8C1', PORT: '8080' } } } }, observed: 'none added (from the base image: GPG_KEY)' },
  ],
  failing: [
    { name: 'ENV DB_PASSWORD', check: { namePattern: 'PASSWORD|SECRET|TOKEN|KEY' }, world: { ...dockerfile('FROM python:3.11-slim\nENV PORT=8080 DB_PASSWORD=hunter2\n'), images: { 'python:3.11-slim': { env: {} } }, image: { config: { env: { PORT: '8080', DB_PASSWORD: 'hunter2' } } } }, observed: 'DB_PASSWORD=*******', location: { file: 'Dockerfile', line: 2 } },
    { name: 'lower case api_token', check: { namePattern: 'PASSWORD|SECRET|TOKEN|KEY' }, world: { ...dockerfile('FROM python:3.11-slim\nENV api_token abc\n'), image: { config: { env: { api_token: 'abc' } } } }, observed: 'api_token=***' },
    { name: 'the base key changed, in French', lang: 'fr', check: { namePattern: 'KEY' }, world: { ...dockerfile('FROM python:3.11-slim\nENV GPG_KEY=mine\n'), images: { 'python:3.11-slim': { env: { GPG_KEY: 'A035' } } }, image: { config: { env: { GPG_KEY: 'mine' } } } }, observed: 'ajoutée(s) par le Dockerfile : GPG_KEY' },
  ],
});

const step = (index: number, instruction: string, cached: boolean, line: number) => ({ index, stage: 0, instruction, line, cached });
testCheckKind(buildCacheReused as never, {
  passing: [
    { name: 'requirements first', check: { through: { keyword: 'RUN', contains: 'requirements' } }, world: { rebuild: { steps: [step(1, 'FROM python:3.11-slim', true, 1), step(2, 'WORKDIR /app', true, 2), step(3, 'COPY requirements.txt .', true, 3), step(4, 'RUN pip install -r requirements.txt', true, 4), step(5, 'COPY . .', false, 5)] } }, observed: 'cached: WORKDIR /app (line 2), COPY requirements.txt . (line 3), RUN pip install -r requirements.txt (line 4)' },
  ],
  failing: [
    { name: 'COPY . . before the install', check: { through: { keyword: 'RUN', contains: 'requirements' } }, world: { rebuild: { steps: [step(1, 'FROM python:3.11-slim', true, 1), step(2, 'COPY . /app', false, 2), step(3, 'RUN pip install -r /app/requirements.txt', false, 3)] } }, observed: 'rebuilt, not cached: COPY . /app (line 2), RUN pip install -r /app/requirements.txt (line 3)', location: { file: 'Dockerfile', line: 2 } },
    { name: 'no install step at all, in French', lang: 'fr', check: { through: { keyword: 'RUN', contains: 'requirements' } }, world: { rebuild: { builder: 'buildkit', steps: [step(2, 'COPY . .', false, 2)] } }, observed: 'aucune instruction RUN contenant « requirements » dans la construction (constructeur buildkit)' },
  ],
});
