import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fromRoot } from '../paths.js';
import { labsDir as defaultLabsDir } from '../spec/load.js';
import type { TestLabIo } from './test-lab.js';

export type SkeletonKind = 'image' | 'script' | 'compose';
export const SKELETON_KINDS: readonly SkeletonKind[] = ['image', 'script', 'compose'];

const hint = (fr: string, en: string) => ({ fr, en });

/**
 * Each skeleton is the smallest lab of its kind that proves itself: one
 * reference at full marks and one wrong case that fails every check (so no
 * check is one nothing can fail), on images the grader can stand in offline.
 */
function skeleton(kind: SkeletonKind): { spec: object; given: Record<string, string>; reference: Record<string, string>; wrong: Record<string, string>; wrongName: string; wrongFails: string[]; mistake: string } {
  if (kind === 'image') {
    return {
      spec: {
        workload: { kind: 'image', dockerfile: 'Dockerfile', run: { ports: [8080], ready: { http: { port: 8080, path: '/' }, timeoutSeconds: 10 } } },
        steps: [
          { id: 'label-version', kind: 'image-label', points: 1, name: 'version', hint: hint('Ajoutez `LABEL version="1.0"`.', 'Add `LABEL version="1.0"`.') },
          { id: 'exposes-8080', kind: 'image-exposes', points: 1, port: 8080, hint: hint('`EXPOSE 8080`.', '`EXPOSE 8080`.') },
          { id: 'http-ok', kind: 'http', points: 2, port: 8080, path: '/', expect: { status: 200 }, withinSeconds: 5, hint: hint('Le conteneur doit servir HTTP sur le port 8080 : `CMD ["python", "-m", "http.server", "8080"]`.', 'The container must serve HTTP on port 8080: `CMD ["python", "-m", "http.server", "8080"]`.') },
        ],
      },
      given: { Dockerfile: '# À compléter : LABEL version, EXPOSE 8080, un CMD qui sert HTTP sur 8080.\nFROM python:3.11-slim\n' },
      reference: { Dockerfile: 'FROM python:3.11-slim\nLABEL version="1.0"\nWORKDIR /srv\nEXPOSE 8080\nCMD ["python", "-m", "http.server", "8080"]\n' },
      wrongName: 'wrong-port-9090',
      wrong: { Dockerfile: 'FROM python:3.11-slim\nWORKDIR /srv\nEXPOSE 9090\nCMD ["python", "-m", "http.server", "9090"]\n' },
      wrongFails: ['label-version', 'exposes-8080', 'http-ok'],
      mistake: 'no label, and the server listens on 9090 (EXPOSE 9090) instead of 8080',
    };
  }
  if (kind === 'script') {
    return {
      spec: {
        workload: { kind: 'script', script: 'commands.sh', timeoutSeconds: 45, objects: { containers: ['web'] }, images: ['nginx:1.27'] },
        steps: [
          { id: 'script-finishes', kind: 'script-completes', points: 1, hint: hint('Le script doit lancer au moins une commande docker et rendre la main (`docker run -d …`).', 'The script must run at least one docker command and return (`docker run -d …`).') },
          { id: 'web-running', kind: 'container-state', points: 2, container: 'web', status: 'running', withinSeconds: 5, hint: hint('`docker run -d --name web nginx:1.27`, puis `docker ps`.', '`docker run -d --name web nginx:1.27`, then `docker ps`.') },
          { id: 'web-image', kind: 'container-image', points: 1, container: 'web', repository: 'nginx', hint: hint('Le conteneur `web` doit venir de l’image `nginx`.', 'The `web` container must come from the `nginx` image.') },
        ],
      },
      given: { 'commands.sh': '#!/usr/bin/env bash\n# À compléter : lancez un conteneur nginx nommé web, en arrière-plan.\n' },
      reference: { 'commands.sh': '#!/usr/bin/env bash\ndocker run -d --name web nginx:1.27\n' },
      wrongName: 'wrong-no-docker',
      wrong: { 'commands.sh': '#!/usr/bin/env bash\necho "nginx started"\n' },
      wrongFails: ['script-finishes', 'web-running', 'web-image'],
      mistake: 'the script runs no docker command at all',
    };
  }
  return {
    spec: {
      workload: { kind: 'compose', upTimeoutSeconds: 120, hostPorts: [8080], images: ['nginx:1.27', 'busybox:1.36'] },
      steps: [
        { id: 'web-running', kind: 'container-state', points: 2, container: 'web', status: 'running', withinSeconds: 10, hint: hint('Un service `web` qui reste en marche : `docker compose ps`, `docker compose logs web`.', 'A `web` service that stays up: `docker compose ps`, `docker compose logs web`.') },
        { id: 'web-image', kind: 'container-image', points: 1, container: 'web', repository: 'nginx', hint: hint('`image: nginx:1.27` pour le service `web`.', '`image: nginx:1.27` for the `web` service.') },
        { id: 'web-port', kind: 'container-port', points: 2, container: 'web', containerPort: 80, hostPort: 8080, hint: hint('`ports: ["8080:80"]` sur le service `web`.', '`ports: ["8080:80"]` on the `web` service.') },
      ],
    },
    given: { 'compose.yaml': '# À compléter : un service web (nginx:1.27) publié sur le port 8080 de l’hôte.\nservices: {}\n' },
    reference: { 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    ports:\n      - "8080:80"\n' },
    wrongName: 'wrong-busybox-exits',
    wrong: { 'compose.yaml': 'services:\n  web:\n    image: busybox:1.36\n    command: ["true"]\n' },
    wrongFails: ['web-running', 'web-image', 'web-port'],
    mistake: 'web runs busybox, which exits at once, and publishes nothing',
  };
}

function statement(id: string, kind: SkeletonKind): string {
  return `# ${id} — à compléter\n\nÉnoncé du lab pour les étudiants (en français, comme les autres labs du cours).\n\n- Type de lab : \`${kind}\` (voir \`lab.json\`).\n- Ce que l'étudiant doit faire, et comment le vérifier lui-même.\n- Notation : \`npm run grade ${id}\`.\n\n<!-- Pour l'enseignant : les cas de test sont dans tests/ (tests/cases.json) ; \`npm run grade -- test-lab ${id}\` les note tous. -->\n`;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text, name.endsWith('.sh') ? { mode: 0o755 } : {});
  }
}

/** Writes labs/<id>/ (statement, lab.json with $schema, given files, tests/ with a reference and a wrong case); refuses an existing folder. Returns the folder. */
export function writeNewLab(labs: string, id: string, kind: SkeletonKind): string {
  const dir = path.join(labs, id);
  if (existsSync(dir)) throw new Error(`${dir} already exists; choose another id or remove it`);
  const s = skeleton(kind);
  const schema = path.relative(dir, fromRoot('labs', 'lab.schema.json')).split(path.sep).join('/');
  const spec = { $schema: schema, id, title: { fr: `${id} — à compléter`, en: `${id} — to be written` }, lang: 'fr', ...s.spec };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'lab.json'), `${JSON.stringify(spec, null, 2)}\n`);
  writeFileSync(path.join(dir, 'README.md'), statement(id, kind));
  writeFiles(dir, s.given);
  writeFiles(path.join(dir, 'tests', 'reference'), s.reference);
  writeFiles(path.join(dir, 'tests', s.wrongName), s.wrong);
  const cases = [
    { name: 'reference', mistake: 'none: the expected solution' },
    { name: s.wrongName, mistake: s.mistake, failed: s.wrongFails },
  ];
  writeFileSync(path.join(dir, 'tests', 'cases.json'), `[\n${cases.map((c) => `  ${JSON.stringify(c)}`).join(',\n')}\n]\n`);
  return dir;
}

export const NEW_LAB_HELP = `Write a new lab's skeleton: npm run grade -- new-lab lab-NN --workload image|script|compose [--labs-dir DIR]

Writes DIR/lab-NN/ (default DIR: the grader's labs folder): README.md (the statement),
lab.json (with $schema), the given starter files, and tests/ with one reference
case and one wrong case (tests/cases.json says what each must score). It passes
\`test-lab\` as written; then make it your lab, case by case.`;

export async function runNewLabCommand(argv: string[], io: Pick<TestLabIo, 'stdout' | 'stderr' | 'cwd'>): Promise<number> {
  const bad = (message: string) => {
    io.stderr.write(`dockerlab new-lab: ${message}\nRun npm run grade -- new-lab --help for usage.\n`);
    return 2;
  };
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { workload: { type: 'string' }, 'labs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return bad((error as Error).message);
  }
  if (values.help) {
    io.stdout.write(`${NEW_LAB_HELP}\n`);
    return 0;
  }
  const [id, ...extra] = positionals;
  if (!id) return bad('which lab? e.g. new-lab lab-13 --workload image');
  if (extra.length) return bad(`unexpected argument "${extra[0]}"`);
  if (!/^lab-\d{2}$/.test(id)) return bad(`a lab id is lab-NN (two digits), not "${id}"`);
  const kind = values.workload;
  if (!kind || !(SKELETON_KINDS as readonly string[]).includes(kind)) return bad(`--workload must be one of ${SKELETON_KINDS.join(', ')}${kind ? `, not "${kind}"` : ''}`);
  const labs = values['labs-dir'] ? path.resolve(io.cwd, values['labs-dir']) : defaultLabsDir();
  let dir: string;
  try {
    dir = writeNewLab(labs, id, kind as SkeletonKind);
  } catch (error) {
    return bad((error as Error).message);
  }
  io.stdout.write(`wrote ${dir}/ (${kind} lab: README.md, lab.json, given files, tests/reference, tests/cases.json)\nnext: npm run grade -- test-lab ${id}${values['labs-dir'] ? ` --labs-dir ${values['labs-dir']}` : ''}\n`);
  return 0;
}
