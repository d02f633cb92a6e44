import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { discoverClass, ClassFolderError } from '../../grader/src/batch/discover.js';
import { readRoster, RosterError } from '../../grader/src/batch/roster.js';
import type { InputProblem } from '../../grader/src/batch/types.js';
import { commitAll, git, removeDir, tempDir, writeCloneLayout, writeDirectLayout, writeLab } from '../fixtures/batch/fake-class.js';

const LABS = ['lab-01', 'lab-03', 'lab-04'];
let root: string;

beforeEach(() => {
  root = tempDir('hbat-discover-');
});
afterEach(() => removeDir(root));

const kinds = (problems: InputProblem[]) => problems.map((p) => `${p.kind}:${p.student ?? '-'}`).sort();
const labsOf = (c: Awaited<ReturnType<typeof discoverClass>>, key: string) => [...(c.students.find((s) => s.identity.key === key)?.labs.keys() ?? [])].sort();

describe('layouts of a class folder', () => {
  it('finds labs in clones of the course (labs/lab-NN) and in lab-NN folders directly', async () => {
    writeCloneLayout(path.join(root, 'alice'), { 'lab-01': ['script-finishes'], 'lab-03': null });
    writeDirectLayout(path.join(root, 'bob'), { 'lab-03': ['builds'], 'lab-04': [] });
    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: null });
    expect(found.students.map((s) => s.identity.key)).toEqual(['alice', 'bob']);
    expect(labsOf(found, 'alice')).toEqual(['lab-01', 'lab-03']);
    expect(labsOf(found, 'bob')).toEqual(['lab-03', 'lab-04']);
    const source = found.students[0]!.labs.get('lab-03')!;
    expect(source).toEqual({ kind: 'folder', dir: path.join(root, 'alice', 'labs', 'lab-03'), folder: 'alice/labs/lab-03' });
    expect(found.problems).toEqual([]);
  });

  it('reads the gh classroom layout: <assignment>-submissions/<assignment>-<user>/, the repository being the lab or holding labs', async () => {
    // One assignment per lab: the repository is the lab's folder.
    writeLab(path.join(root, 'lab-03-submissions', 'lab-03-alice'), 'lab-03', ['builds']);
    writeLab(path.join(root, 'lab-03-submissions', 'lab-03-Bob'), 'lab-03', []);
    writeLab(path.join(root, 'lab-04-submissions', 'lab-04-alice'), 'lab-04', []);
    // One assignment for the whole course: the repository is a clone of it.
    writeCloneLayout(path.join(root, 'docker-course-submissions', 'docker-course-carol'), { 'lab-01': [] });
    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: null });
    expect(found.students.map((s) => s.identity.key)).toEqual(['alice', 'Bob', 'carol']);
    expect(labsOf(found, 'alice')).toEqual(['lab-03', 'lab-04']);
    expect(found.students[0]!.folders).toEqual(['lab-03-submissions/lab-03-alice', 'lab-04-submissions/lab-04-alice']);
    expect(labsOf(found, 'carol')).toEqual(['lab-01']);
    // One student across several assignments is not "two folders".
    expect(found.problems).toEqual([]);
  });

  it('accepts DIR being one <assignment>-submissions folder itself', async () => {
    const dir = path.join(root, 'lab-04-submissions');
    writeLab(path.join(dir, 'lab-04-dave'), 'lab-04', []);
    const found = await discoverClass({ dir, labs: LABS, roster: null, before: null });
    expect(found.students.map((s) => [s.identity.key, [...s.labs.keys()]])).toEqual([['dave', ['lab-04']]]);
  });

  it('takes a misnamed lab folder (Lab3) with a note, and only the labs asked for', async () => {
    writeLab(path.join(root, 'erin', 'Lab3'), 'lab-03', []);
    writeLab(path.join(root, 'erin', 'lab-04'), 'lab-04', []);
    const found = await discoverClass({ dir: root, labs: ['lab-03'], roster: null, before: null });
    expect(labsOf(found, 'erin')).toEqual(['lab-03']);
    expect(found.problems).toEqual([expect.objectContaining({ kind: 'renamed-lab-folder', student: 'erin', lab: 'lab-03', graded: true, message: expect.stringContaining('"Lab3" taken as lab-03') })]);
  });

  it('reports a folder without any lab by name, with what it holds, and keeps the others', async () => {
    mkdirSync(path.join(root, 'frank', 'src'), { recursive: true });
    writeFileSync(path.join(root, 'frank', 'notes.txt'), 'hello');
    mkdirSync(path.join(root, 'gina'));
    writeDirectLayout(path.join(root, 'hugo'), { 'lab-01': [] });
    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: null });
    expect(found.students.map((s) => s.identity.key)).toEqual(['frank', 'gina', 'hugo']);
    const frank = found.problems.find((p) => p.student === 'frank')!;
    expect(frank).toMatchObject({ kind: 'no-lab', where: 'frank', graded: false });
    expect(frank.message).toContain('it holds src');
    expect(found.problems.find((p) => p.student === 'gina')!.message).toContain('it is empty');
    expect(labsOf(found, 'hugo')).toEqual(['lab-01']);
  });

  it('refuses a DIR that is one student’s folder, and a DIR that does not exist', async () => {
    writeCloneLayout(root, { 'lab-01': [] });
    await expect(discoverClass({ dir: root, labs: LABS, roster: null, before: null })).rejects.toThrow(ClassFolderError);
    await expect(discoverClass({ dir: path.join(root, 'nope'), labs: LABS, roster: null, before: null })).rejects.toThrow(/does not exist/);
  });

  it('skips OUT when it lies inside DIR, and hidden folders', async () => {
    writeDirectLayout(path.join(root, 'ivan'), { 'lab-01': [] });
    mkdirSync(path.join(root, 'grades', 'feedback'), { recursive: true });
    mkdirSync(path.join(root, '.git-cache'));
    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: null, exclude: [path.join(root, 'grades')] });
    expect(found.students.map((s) => s.identity.key)).toEqual(['ivan']);
  });
});

describe('git clones', () => {
  it('reports an empty clone and a broken one by name, and grades the rest', async () => {
    const empty = path.join(root, 'jules');
    mkdirSync(empty);
    git(empty, ['init', '-q']);
    const broken = path.join(root, 'kim');
    writeCloneLayout(broken, { 'lab-01': [] });
    mkdirSync(path.join(broken, '.git'));
    writeFileSync(path.join(broken, '.git', 'HEAD'), 'garbage\n');
    writeCloneLayout(path.join(root, 'lea'), { 'lab-01': [] });
    git(path.join(root, 'lea'), ['init', '-q']);
    commitAll(path.join(root, 'lea'), 'tp', '2025-03-01T10:00:00Z');
    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: null });
    expect(kinds(found.problems)).toEqual(['broken-git:jules', 'broken-git:kim']);
    expect(found.problems.find((p) => p.student === 'jules')!.message).toMatch(/empty git clone|broken git clone/);
    expect(labsOf(found, 'jules')).toEqual([]);
    expect(labsOf(found, 'kim')).toEqual([]);
    expect(labsOf(found, 'lea')).toEqual(['lab-01']);
  });

  it('--before takes the last commit before the deadline, from the commit’s tree, without touching the clone', async () => {
    const repo = path.join(root, 'max');
    writeCloneLayout(repo, { 'lab-01': ['script-finishes'] });
    chmodSync(path.join(repo, 'labs', 'lab-01', 'commands.sh'), 0o755);
    git(repo, ['init', '-q']);
    const onTime = commitAll(repo, 'first', '2025-03-01T10:00:00Z');
    writeCloneLayout(repo, { 'lab-01': ['script-finishes', 'serveur-running'], 'lab-03': ['builds'] });
    commitAll(repo, 'late', '2025-03-05T10:00:00Z');
    writeFileSync(path.join(repo, 'labs', 'lab-01', 'answers.txt'), 'uncommitted\n');
    // git status itself refreshes the index: asked first, so the snapshot is taken after.
    const status = git(repo, ['status', '--porcelain']);
    const snapshot = listing(path.join(repo, '.git'));

    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: new Date('2025-03-02T00:00:00Z') });
    const source = found.students[0]!.labs.get('lab-01')!;
    expect(source.kind).toBe('git-tree');
    expect(source).toMatchObject({ commit: onTime, commitDate: '2025-03-01T10:00:00+00:00', folder: 'max/labs/lab-01' });
    // lab-03 only exists in the late commit: it was not handed in on time.
    expect(labsOf(found, 'max')).toEqual(['lab-01']);

    const { writeTree } = await import('../../grader/src/batch/git-snapshot.js');
    const out = path.join(root, 'snapshot');
    await writeTree(repo, (source as { tree: string }).tree, out);
    expect(readdirSync(out).sort()).toEqual(['answers.txt', 'commands.sh', 'lab.json']);
    expect(readFileSync(path.join(out, 'answers.txt'), 'utf8')).toBe('script-finishes\n');
    expect(statSync(path.join(out, 'commands.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(out, 'lab.json')).mode & 0o111).toBe(0);
    // The clone is as it was: same .git files, same uncommitted change.
    expect(listing(path.join(repo, '.git'))).toEqual(snapshot);
    expect(git(repo, ['status', '--porcelain'])).toBe(status);
  });

  it('--before: a clone with no commit before the deadline, and a plain folder, are reported', async () => {
    const repo = path.join(root, 'nina');
    writeCloneLayout(repo, { 'lab-01': [] });
    git(repo, ['init', '-q']);
    commitAll(repo, 'late', '2025-04-01T10:00:00Z');
    writeCloneLayout(path.join(root, 'omar'), { 'lab-01': [] });
    const found = await discoverClass({ dir: root, labs: LABS, roster: null, before: new Date('2025-03-02T00:00:00Z') });
    expect(kinds(found.problems)).toEqual(['no-commit-before:nina', 'not-a-git-clone:omar']);
    expect(labsOf(found, 'nina')).toEqual([]);
    expect(labsOf(found, 'omar')).toEqual(['lab-01']);
  });
});

/** Every file of a folder with its size and modification time: to prove nothing was written. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const s = statSync(full);
      if (s.isDirectory()) walk(full);
      else out.push(`${path.relative(dir, full)} ${s.size} ${s.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

describe('roster', () => {
  const roster = (text: string) => {
    const file = path.join(root, '..', `${path.basename(root)}-roster.csv`);
    writeFileSync(file, text);
    return readRoster(file);
  };

  it('maps folders to ids, names and emails; reports every edge case by name and grades the rest', async () => {
    writeDirectLayout(path.join(root, 'alice'), { 'lab-01': [] });
    writeDirectLayout(path.join(root, 'Bob'), { 'lab-01': [] });
    writeDirectLayout(path.join(root, 'bob-old'), { 'lab-01': [] });
    writeDirectLayout(path.join(root, 'stranger'), { 'lab-01': [] });
    const r = roster(
      'folder,student_id,name,email\n' +
        'alice,21001,Alice Martin,alice@example.org\n' +
        'bob,21002,Bob Durand,bob@example.org\n' +
        'bob-old,21002,Bob Durand,bob@example.org\n' +
        'chloe,21003,Chloé Petit,chloe@example.org\n' +
        ',21004,Sans Dossier,\n' +
        'alice,21009,Doublon,\n' +
        ',,,\n',
    );
    const found = await discoverClass({ dir: root, labs: LABS, roster: r, before: null });
    const keys = found.students.map((s) => s.identity.key);
    expect(keys).toEqual(['21001', '21002', '21003', '21004', 'stranger']);
    expect(found.students[0]!.identity).toMatchObject({ name: 'Alice Martin', email: 'alice@example.org', rosterLine: 2 });
    const byKind = Object.fromEntries(found.problems.map((p) => [`${p.kind}:${p.student ?? p.where}`, p]));
    // A folder the roster does not know: graded under its folder name.
    expect(byKind['not-in-roster:stranger']).toMatchObject({ graded: true });
    // Two folders for one student (the same roster id), holding the same lab: neither is graded.
    expect(byKind['two-folders:21002']!.message).toContain('Bob/lab-01 and bob-old/lab-01');
    expect(labsOf(found, '21002')).toEqual([]);
    // Roster lines naming no folder, or a folder that is not there.
    expect(byKind['roster-no-folder:21003']!.message).toContain('no folder "chloe"');
    expect(byKind['roster-no-folder:21004']!.message).toContain('no folder named');
    expect(byKind['roster-duplicate:21009']!.message).toContain('names folder "alice" again');
    expect(found.problems.some((p) => p.kind === 'roster-no-folder' && p.student === null)).toBe(true);
  });

  it('reads semicolon CSV with a BOM and accented headers (French spreadsheets), and Classroom’s roster export', () => {
    const fr = roster('\uFEFFDossier;Numéro étudiant;Prénom;Nom;Courriel\n"dupont";"22001";"Zoé";"Dupont";"zoe@ex.fr"\n');
    expect(fr.entries[0]).toMatchObject({ folder: 'dupont', identity: { key: '22001', name: 'Zoé Dupont', email: 'zoe@ex.fr' } });
    const classroom = roster('"identifier","github_username","github_id","name"\n"zoe@ex.fr","zoe-gh","123","Zoé Dupont"\n');
    expect(classroom.entries[0]).toMatchObject({ folder: 'zoe-gh', identity: { key: 'zoe@ex.fr', name: 'Zoé Dupont' } });
  });

  it('refuses a roster with no column naming folders, saying which columns it has and what to add', () => {
    expect(() => roster('nom,prenom\nDupont,Zoé\n')).toThrow(RosterError);
    expect(() => roster('nom,prenom\nDupont,Zoé\n')).toThrow(/columns are "nom", "prenom".*Add one named folder/);
  });
});
