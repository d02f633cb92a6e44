#!/usr/bin/env bash
# Makes a PrairieLearn question that grades one lab with dockerlab:
#   new-question.sh LAB QUESTION_DIR [FILE…]
# writes QUESTION_DIR/info.json (a fresh uuid: PrairieLearn refuses two questions with
# the same one, so never copy an info.json) and QUESTION_DIR/question.html (an upload
# of the lab's deliverable, or of FILE…, and <pl-external-grader-results>, without
# which PrairieLearn shows no tests). Set IMAGE, DOCKER_HOST, LANG_REPORT before, or
# edit info.json after. The course also needs serverFilesCourse/dockerlab/run.sh
# (run.sh beside this file).
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: new-question.sh LAB QUESTION_DIR [FILE…]   (e.g. new-question.sh lab-03 questions/docker/lab03)" >&2
  exit 2
fi
lab=$1 dir=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
labs=${DOCKERLAB_LABS_DIR:-$here/../../labs}
spec=$labs/$lab/lab.json
if ! [[ $lab =~ ^lab-[0-9]{2}$ ]] || [ ! -f "$spec" ]; then
  echo "new-question.sh: no lab $lab in $labs" >&2
  exit 2
fi
mkdir -p "$dir"
LAB=$lab DIR=$dir SPEC=$spec node - "$@" <<'NODE'
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const spec = JSON.parse(fs.readFileSync(process.env.SPEC, 'utf8'));
const w = spec.workload ?? {};
const deliverable = w.kind === 'image' ? (w.dockerfile ?? 'Dockerfile') : w.kind === 'script' ? (w.script ?? 'commands.sh') : 'compose.yaml';
const files = process.argv.slice(2).length ? process.argv.slice(2) : [deliverable];
const title = typeof spec.title === 'string' ? spec.title : (spec.title?.fr ?? spec.title?.en ?? spec.id);
// PrairieLearn stops a job at `timeout`, at most 600 s; the grader is stopped 60 s before (its budget), so it can clean up and say why.
const timeout = 600;
const info = {
  uuid: randomUUID(),
  title: `${spec.id} — ${title}`,
  topic: 'Docker',
  type: 'v3',
  singleVariant: true,
  gradingMethod: 'External',
  externalGradingOptions: {
    enabled: true,
    image: process.env.IMAGE || 'my-school/dockerlab-grader:0.1.0',
    serverFilesCourse: ['dockerlab/'],
    entrypoint: '/grade/serverFilesCourse/dockerlab/run.sh',
    timeout,
    enableNetworking: true,
    environment: {
      DOCKERLAB_LAB: spec.id,
      DOCKERLAB_LANG: process.env.LANG_REPORT || spec.lang || 'fr',
      DOCKERLAB_TIME_BUDGET: String(timeout - 60),
      DOCKER_HOST: process.env.DOCKER_HOST || 'tcp://docker-grader.example.edu:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/grade/serverFilesCourse/dockerlab/certs',
    },
  },
};
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const html = `<pl-question-panel>
  <p>${esc(info.title)}</p>
  <p>Déposez ${files.map((f) => `<code>${esc(f)}</code>`).join(', ')} : la correction construit et lance votre travail dans de vrais conteneurs (quelques minutes au plus).</p>
</pl-question-panel>

<pl-file-upload file-names="${esc(files.join(', '))}"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
`;
fs.writeFileSync(path.join(process.env.DIR, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
fs.writeFileSync(path.join(process.env.DIR, 'question.html'), html);
console.log(`${process.env.DIR}: info.json (uuid ${info.uuid}), question.html (upload: ${files.join(', ')})`);
NODE
