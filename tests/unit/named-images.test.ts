import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { knownRepositories } from '../../grader/src/build/base-images.js';
import { imagesInText, imagesNamedIn } from '../../grader/src/workloads/named-images.js';

const known = new Set(knownRepositories());

describe('images a submission names', () => {
  it('knows the repositories the grader can always provide', () => {
    expect([...known]).toEqual(expect.arrayContaining(['nginx', 'python', 'redis', 'busybox', 'debian']));
  });

  it.each([
    ['docker run --name journal python:3.11-slim python -c "print(1)"', ['python:3.11-slim']],
    ['docker run -d --name stockage -v donnees:/data redis:7', ['redis:7']],
    ['docker run docker.io/library/nginx:1.27', ['nginx:1.27']],
    ['services:\n  web:\n    image: "httpd:2.4-bookworm"\n  db:\n    image: postgres:16\n', ['httpd:2.4-bookworm', 'postgres:16']],
    ['FROM python:3.12-slim AS build\nFROM gcr.io/distroless/static:nonroot', ['gcr.io/distroless/static:nonroot', 'python:3.12-slim']],
    ['services:\n  cache:\n    image: redis\n', ['redis:latest']],
    ['docker run -d nginx', ['nginx:latest']],
  ])('%j → %j', (text, expected) => {
    expect(imagesInText(text, known).sort()).toEqual(expected.sort());
  });

  it.each([
    ['-p 8081:80 and 127.0.0.1:8080 and localhost:8082'],
    ['docker cp index.html site:/usr/share/nginx/html/index.html'],
    ['docker tag monapp localhost:5000/monapp:1.0 && docker push localhost:5000/monapp:1.0'],
    ['curl http://db:5432/ ; echo $IMG:latest'],
    ['nginx -g "daemon off;" ; redis-cli ping ; cat /etc/nginx/nginx.conf'],
    ['image@sha256:abc'],
  ])('leaves out what is not an image: %j', (text) => {
    expect(imagesInText(text, known)).toEqual([]);
  });

  it('reads every text file of the submission, not binaries, big files or .git', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'named-images-'));
    try {
      writeFileSync(path.join(dir, 'commands.sh'), 'docker run --rm python:3.11-slim true\n');
      mkdirSync(path.join(dir, 'app'));
      writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM httpd:2.4\n');
      writeFileSync(path.join(dir, 'binary.bin'), Buffer.from([0, 1, 2, ...Buffer.from(' redis:7 ')]));
      writeFileSync(path.join(dir, 'big.txt'), `${'x'.repeat(300 * 1024)} busybox:1.36`);
      mkdirSync(path.join(dir, '.git'));
      writeFileSync(path.join(dir, '.git', 'config'), 'gcc:12');
      expect(imagesNamedIn(dir, [...known])).toEqual(['httpd:2.4', 'python:3.11-slim']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
