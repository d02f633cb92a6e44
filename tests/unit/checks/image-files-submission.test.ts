/**
 * image-files-absent with `submissionFiles`: what must stay out of the image is
 * read from the student's own folder at grading time, whatever the files are
 * called, not from a list of names in the spec.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { imageFilesAbsent } from '../../../grader/src/checks/image-files.js';
import { compilePattern, listSubmissionFiles } from '../../../grader/src/checks/submission-files.js';
import { testCheckKind } from '../../helpers/check-tester.js';

function folder(files: Record<string, string | { link: string }>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dockerlab-subfiles-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    if (typeof content === 'string') writeFileSync(path.join(dir, rel), content);
    else symlinkSync(content.link, path.join(dir, rel));
  }
  return dir;
}

const made: string[] = [];
const given = (files: Record<string, string | { link: string }>) => {
  const dir = folder(files);
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const pyc = (n: number) => 'p'.repeat(n);
// The lab-05 folder as a student whose own Python is 3.12 has it: not the names the lab gave.
const student312 = given({
  'app.py': 'print()\n',
  'notes/debug.log': 'debug\n',
  'notes/todo.md': 'todo\n',
  '__pycache__/app.cpython-312.pyc': pyc(321),
  '__pycache__/x.pyc': pyc(12),
  'src/__pycache__/deep.cpython-312.pyc': pyc(40),
  'secrets.env': 'K=V\n',
});
const clean = given({ 'app.py': 'print()\n', 'requirements.txt': 'pip\n' });
const inContext = given({ 'Dockerfile': 'FROM x\n', 'app/app.py': 'x', 'app/__pycache__/app.cpython-312.pyc': pyc(50), '__pycache__/outside.pyc': pyc(60) });
const withLink = given({ 'app.py': 'x', 'notes/current': { link: '/etc/passwd' } });

const clutter = { submissionFiles: ['notes/', '**/__pycache__/'], in: 'added-layers' };
const copyLayer = 'COPY . . # buildkit';

testCheckKind(imageFilesAbsent as never, {
  passing: [
    {
      name: 'the .dockerignore kept every one of them out',
      check: clutter,
      world: { submissionDir: student312, image: { addedLayers: [{ path: '/app/app.py', layer: 2, size: 8, createdBy: copyLayer }] } },
      expected: "none of the submission's 5 file(s) under notes/, **/__pycache__/ (__pycache__/app.cpython-312.pyc, __pycache__/x.pyc, notes/debug.log, notes/todo.md, src/__pycache__/deep.cpython-312.pyc) in the layers the Dockerfile adds",
      observed: 'none found (2 added layer(s) read)',
    },
    {
      name: "pip's own __pycache__ files of the same name but another size are not the student's",
      check: clutter,
      world: {
        submissionDir: student312,
        image: { addedLayers: [{ path: '/usr/local/lib/python3.12/site-packages/pip/__pycache__/x.pyc', layer: 3, size: 999, createdBy: 'RUN pip install -r requirements.txt' }] },
      },
    },
    {
      name: 'a file of the same name and size elsewhere in the tree is not one of them (its path does not end with __pycache__/x.pyc)',
      check: clutter,
      world: { submissionDir: student312, image: { addedLayers: [{ path: '/app/x.pyc', layer: 2, size: 12 }] } },
    },
    {
      name: 'a folder whose name only ends like the one in the submission is another folder',
      check: clutter,
      world: { submissionDir: student312, image: { addedLayers: [{ path: '/app/old__pycache__/x.pyc', layer: 2, size: 12 }] } },
    },
    {
      name: 'a folder without any such file: nothing to find, and the expectation says so',
      check: clutter,
      world: { submissionDir: clean, image: { addedLayers: [{ path: '/app/app.py', layer: 2, size: 8 }] } },
      expected: "the submission's files under notes/, **/__pycache__/ (it has none)",
    },
    {
      name: 'a file outside the build context cannot be copied, and is not looked for',
      check: { submissionFiles: ['**/__pycache__/'], in: 'added-layers' },
      world: { submissionDir: inContext, workload: { kind: 'image', context: 'app' }, image: { addedLayers: [{ path: '/srv/outside.pyc', layer: 2, size: 60 }] } },
      expected: "the submission's 1 file(s) under **/__pycache__/ (__pycache__/app.cpython-312.pyc)",
    },
  ],
  failing: [
    {
      name: '__pycache__/ files of any name shipped by COPY . . (the .dockerignore had *.pyc, root only)',
      check: clutter,
      world: {
        submissionDir: student312,
        image: {
          addedLayers: [
            { path: '/app/__pycache__/app.cpython-312.pyc', layer: 2, size: 321, createdBy: copyLayer },
            { path: '/app/__pycache__/x.pyc', layer: 2, size: 12, createdBy: copyLayer },
            { path: '/app/src/__pycache__/deep.cpython-312.pyc', layer: 2, size: 40, createdBy: copyLayer },
          ],
        },
      },
      observed: 'found 3: /app/__pycache__/app.cpython-312.pyc (layer 2: COPY . . # buildkit), /app/__pycache__/x.pyc (layer 2: COPY . . # buildkit), /app/src/__pycache__/deep.cpython-312.pyc (layer 2: COPY . . # buildkit)',
    },
    {
      name: 'any file of notes/, whatever its name, copied elsewhere than /app',
      check: clutter,
      world: { submissionDir: student312, image: { addedLayers: [{ path: '/srv/site/notes/todo.md', layer: 4, size: 5, createdBy: 'COPY . /srv/site' }] } },
      observed: '/srv/site/notes/todo.md (layer 4: COPY . /srv/site)',
    },
    {
      name: 'in the final filesystem, in French',
      lang: 'fr',
      check: { submissionFiles: ['notes/'], in: 'image' },
      world: { submissionDir: student312, image: { filesystem: [{ path: '/app/notes/debug.log', size: 6 }] } },
      observed: '1 trouvé(s) : /app/notes/debug.log',
      expected: 'les 2 fichier(s) du dossier rendu sous notes/ (notes/debug.log, notes/todo.md)',
    },
    {
      name: 'relative to the build context when the workload names one',
      check: { submissionFiles: ['app/__pycache__/'], in: 'added-layers' },
      world: { submissionDir: inContext, workload: { kind: 'image', context: 'app' }, image: { addedLayers: [{ path: '/srv/__pycache__/app.cpython-312.pyc', layer: 2, size: 50 }] } },
      observed: 'found 1',
    },
    {
      name: 'a symbolic link of the folder, shipped as a link',
      check: { submissionFiles: ['notes/'], in: 'added-layers' },
      world: { submissionDir: withLink, image: { addedLayers: [{ path: '/app/notes/current', type: 'symlink', size: 0, layer: 2 }] } },
    },
    {
      name: 'names and submission files together: either one found fails',
      check: { names: ['secrets.env'], submissionFiles: ['notes/'], in: 'added-layers' },
      world: { submissionDir: student312, image: { addedLayers: [{ path: '/app/secrets.env', layer: 2, size: 4 }] } },
      expected: /^none of secrets\.env, the submission's 2 file\(s\) under notes\//,
    },
  ],
  invalid: [
    { name: 'an absolute path', check: { submissionFiles: ['/app/__pycache__/'] }, problem: /submissionFiles\/0/ },
    { name: 'a path out of the folder', check: { submissionFiles: ['../other/'] }, problem: /submissionFiles\/0/ },
    { name: 'an empty list', check: { submissionFiles: [] }, problem: /submissionFiles/ },
  ],
});

describe('the patterns of submissionFiles', () => {
  const selects = (pattern: string, rel: string) => compilePattern(pattern).whole.test(rel);
  it.each([
    ['notes/', 'notes/debug.log', true],
    ['notes/', 'notes/a/b.txt', true],
    ['notes/', 'notes', false],
    ['notes', 'notes', true],
    ['notes', 'notes/x', true],
    ['notes/', 'sub/notes/x', false],
    ['__pycache__/', 'src/__pycache__/x.pyc', false],
    ['**/__pycache__/', '__pycache__/x.pyc', true],
    ['**/__pycache__/', 'a/b/__pycache__/x.pyc', true],
    ['**/__pycache__/', 'a/__pycache__', false],
    ['*.env', 'secrets.env', true],
    ['*.env', 'config/secrets.env', false],
    ['**/*.log', 'notes/debug.log', true],
    ['a/**', 'a/b/c', true],
    ['./notes/', 'notes/x', true],
    ['a.b', 'aXb', false],
  ])('%s on %s: %s', (pattern, rel, want) => {
    expect({ pattern, rel, selected: selects(pattern, rel) }).toEqual({ pattern, rel, selected: want });
  });

  it('lists every file below, sorted, with sizes; does not follow a symlinked folder nor walk folders no pattern can reach', () => {
    const dir = given({ 'notes/b.txt': 'bb', 'notes/a.txt': 'a', 'other/__pycache__/no.pyc': 'x', 'elsewhere/big/file': 'x' });
    symlinkSync('/etc', path.join(dir, 'notes/etc'));
    expect(listSubmissionFiles(dir, ['notes/'])).toEqual({
      files: [
        { rel: 'notes/a.txt', type: 'file', size: 1 },
        { rel: 'notes/b.txt', type: 'file', size: 2 },
        { rel: 'notes/etc', type: 'symlink', size: 4 },
      ],
      truncated: false,
    });
  });

  it('stops at its bound on a huge folder and says the list is cut', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 5_001; i++) files[`__pycache__/m${i}.pyc`] = '';
    const dir = given(files);
    const listed = listSubmissionFiles(dir, ['__pycache__/']);
    expect({ count: listed.files.length, truncated: listed.truncated }).toEqual({ count: 5_000, truncated: true });
  });

  it('an absent folder lists nothing', () => {
    expect(listSubmissionFiles(path.join(os.tmpdir(), 'dockerlab-no-such-folder-x'), ['notes/'])).toEqual({ files: [], truncated: false });
  });
});
