import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { commitBefore, headCommit, isGitClone, listTree, treeId, type DeadlineCommit } from './git-snapshot.js';
import { identityOfFolder, type Roster, type RosterEntry } from './roster.js';
import type { InputProblem, LabSource, StudentEntry, StudentIdentity } from './types.js';

/** The class folder itself is unusable (missing, or one student's folder instead of the class's): exit 2. */
export class ClassFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassFolderError';
  }
}

export interface DiscoverOptions {
  /** The class folder: one folder per student, or `<assignment>-submissions/` folders. */
  dir: string;
  /** The labs being graded. */
  labs: string[];
  roster: Roster | null;
  /** Grade the last commit before this instant (git clones). */
  before: Date | null;
  /** Absolute paths never taken for a student (OUT when it lies inside DIR). */
  exclude?: string[];
}

export interface ClassFolder {
  students: StudentEntry[];
  problems: InputProblem[];
}

/** One folder that holds a student's work: a plain folder, or a repository of a Classroom assignment. */
interface Source {
  /** Relative to DIR, for messages. */
  rel: string;
  abs: string;
  /** The name that identifies the student: the folder name, or the GitHub username in a Classroom repository name. */
  name: string;
  /** The lab a Classroom assignment is about (`lab-03-submissions/` → lab-03), whose repository may hold the lab's files at its root. */
  assignmentLab: string | null;
  /** Part of a `<assignment>-submissions/` folder: one student has one such folder per assignment, not a duplicate. */
  assignment: string | null;
}

const SUBMISSIONS = /^(.+)-submissions$/;
const LAB_FOLDER = /^lab[-_ ]?0*(\d{1,2})$/i;
const LAB_IN_NAME = /(?:^|[-_])lab[-_]?0*(\d{1,2})(?:$|[-_])/i;

export function labIdOfFolderName(name: string): string | null {
  const match = LAB_FOLDER.exec(name);
  return match ? `lab-${match[1]!.padStart(2, '0')}` : null;
}

function labOfAssignment(slug: string): string | null {
  const match = LAB_IN_NAME.exec(slug);
  return match ? `lab-${match[1]!.padStart(2, '0')}` : null;
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isDirectory() || (e.isSymbolicLink() && statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isDirectory())) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** The folders of DIR that hold students' work, in the layouts a teacher gets them in. */
function sourcesOf(dir: string, exclude: Set<string>): Source[] {
  const own = SUBMISSIONS.exec(path.basename(dir));
  if (own) return classroomRepos(dir, '', own[1]!, exclude);
  const sources: Source[] = [];
  for (const name of subfolders(dir)) {
    const abs = path.join(dir, name);
    if (exclude.has(realpathSync(abs))) continue;
    const assignment = SUBMISSIONS.exec(name);
    if (assignment) sources.push(...classroomRepos(abs, name, assignment[1]!, exclude));
    else sources.push({ rel: name, abs, name, assignmentLab: null, assignment: null });
  }
  return sources;
}

/** `gh classroom clone student-repos` names each repository `<assignment>-<github username>`. */
function classroomRepos(dir: string, rel: string, slug: string, exclude: Set<string>): Source[] {
  return subfolders(dir)
    .filter((repo) => !exclude.has(realpathSync(path.join(dir, repo))))
    .map((repo) => ({
      rel: rel ? `${rel}/${repo}` : repo,
      abs: path.join(dir, repo),
      name: repo.toLowerCase().startsWith(`${slug.toLowerCase()}-`) ? repo.slice(slug.length + 1) : repo,
      assignmentLab: labOfAssignment(slug),
      assignment: slug,
    }));
}

/** The folders and files of one level of a student's work: on disk, or in a commit. */
interface TreeView {
  dirs(rel: string): Promise<string[] | null>;
  hasFiles(rel: string): Promise<boolean>;
}

function diskView(root: string): TreeView {
  return {
    async dirs(rel) {
      const dir = path.join(root, rel);
      return existsSync(dir) && statSync(dir).isDirectory() ? subfolders(dir) : null;
    },
    async hasFiles(rel) {
      const dir = path.join(root, rel);
      return existsSync(dir) && readdirSync(dir).some((n) => !n.startsWith('.'));
    },
  };
}

function commitView(repo: string, commit: string): TreeView {
  const at = (rel: string) => (rel ? `${commit}:${rel}` : commit);
  return {
    async dirs(rel) {
      const entries = await listTree(repo, at(rel));
      return entries ? entries.filter((e) => e.type === 'tree' && !e.name.startsWith('.')).map((e) => e.name).sort() : null;
    },
    async hasFiles(rel) {
      const entries = await listTree(repo, at(rel));
      return !!entries?.some((e) => !e.name.startsWith('.'));
    },
  };
}

interface FoundLab {
  lab: string;
  /** Path of the lab's folder inside the student's folder ('' when the folder is the lab). */
  rel: string;
  renamedFrom: string | null;
}

/** Where the labs are in one student's folder: `labs/lab-NN/` (a clone of the course), `lab-NN/`, or the folder itself for a Classroom lab assignment. */
async function findLabs(view: TreeView, source: Source, wanted: Set<string>): Promise<{ found: FoundLab[]; seen: string[] }> {
  const top = (await view.dirs('')) ?? [];
  const base = top.includes('labs') ? 'labs' : '';
  const names = base ? ((await view.dirs('labs')) ?? []) : top;
  const found = new Map<string, FoundLab>();
  for (const name of names) {
    const lab = labIdOfFolderName(name);
    if (!lab || !wanted.has(lab)) continue;
    const exact = name === lab;
    // An exact `lab-03/` wins over a `Lab3/` beside it.
    if (found.has(lab) && !exact) continue;
    found.set(lab, { lab, rel: base ? `${base}/${name}` : name, renamedFrom: exact ? null : name });
  }
  if (found.size === 0 && source.assignmentLab && wanted.has(source.assignmentLab) && (await view.hasFiles(''))) {
    found.set(source.assignmentLab, { lab: source.assignmentLab, rel: '', renamedFrom: null });
  }
  return { found: [...found.values()], seen: base ? names.map((n) => `labs/${n}`) : top };
}

interface Located {
  source: Source;
  labs: Map<string, LabSource>;
}

async function locate(source: Source, options: DiscoverOptions, wanted: Set<string>, problems: InputProblem[]): Promise<Located> {
  const labs = new Map<string, LabSource>();
  const report = (p: Omit<InputProblem, 'where' | 'student'>) => problems.push({ ...p, student: null, where: source.rel });
  let view = diskView(source.abs);
  let deadline: DeadlineCommit | null = null;
  if (isGitClone(source.abs)) {
    const head = await headCommit(source.abs);
    if ('problem' in head) {
      report({ kind: 'broken-git', lab: null, message: `${head.problem}: not graded; clone it again`, graded: false });
      return { source, labs };
    }
    if (options.before) {
      deadline = await commitBefore(source.abs, options.before);
      if (!deadline) {
        report({ kind: 'no-commit-before', lab: null, message: `no commit before the deadline ${options.before.toISOString()}: nothing graded`, graded: false });
        return { source, labs };
      }
      view = commitView(source.abs, deadline.commit);
    }
  } else if (options.before) {
    report({ kind: 'not-a-git-clone', lab: null, message: 'not a git clone, so --before cannot apply: its files are graded as they are', graded: true });
  }
  const { found, seen } = await findLabs(view, source, wanted);
  if (found.length === 0) {
    const what = seen.length ? `it holds ${seen.slice(0, 6).join(', ')}${seen.length > 6 ? ', …' : ''}` : 'it is empty';
    const where = deadline ? ` at commit ${deadline.commit.slice(0, 10)}` : '';
    report({ kind: 'no-lab', lab: null, message: `no lab folder of ${[...wanted].join(', ')}${where} (looked for labs/lab-NN/ and lab-NN/; ${what}): nothing graded`, graded: false });
    return { source, labs };
  }
  for (const f of found) {
    if (f.renamedFrom) report({ kind: 'renamed-lab-folder', lab: f.lab, message: `folder "${f.renamedFrom}" taken as ${f.lab} (expected the name ${f.lab})`, graded: true });
    const folder = f.rel ? `${source.rel}/${f.rel}` : source.rel;
    if (deadline) {
      const tree = await treeId(source.abs, deadline.commit, f.rel);
      if (tree) labs.set(f.lab, { kind: 'git-tree', repo: source.abs, commit: deadline.commit, commitDate: deadline.date, tree, folder });
    } else {
      labs.set(f.lab, { kind: 'folder', dir: f.rel ? path.join(source.abs, f.rel) : source.abs, folder });
    }
  }
  return { source, labs };
}

/**
 * Finds every student's labs in DIR and names whatever is wrong on the way.
 * Nothing here stops the batch except a DIR that does not exist: a folder
 * without labs, a broken clone, a roster line without a folder or a folder
 * without a roster line are problems in the result, and the rest is graded.
 */
export async function discoverClass(options: DiscoverOptions): Promise<ClassFolder> {
  const dir = path.resolve(options.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ClassFolderError(`the class folder ${dir} does not exist; give the folder that holds one folder per student`);
  const exclude = new Set((options.exclude ?? []).filter(existsSync).map((p) => realpathSync(p)));
  const wanted = new Set(options.labs);
  const ownLab = await findLabs(diskView(dir), { rel: '.', abs: dir, name: '', assignmentLab: null, assignment: null }, wanted);
  if (ownLab.found.length > 0 || isGitClone(dir)) {
    throw new ClassFolderError(`${dir} looks like one student's folder (it holds ${isGitClone(dir) ? '.git' : ownLab.found[0]!.rel}); give the folder that holds one folder per student`);
  }
  const problems: InputProblem[] = [...(options.roster?.problems ?? [])];
  const located: Located[] = [];
  for (const source of sourcesOf(dir, exclude)) located.push(await locate(source, options, wanted, problems));
  return assemble(located, options.roster, problems);
}

function assemble(located: Located[], roster: Roster | null, problems: InputProblem[]): ClassFolder {
  const rosterByFolder = new Map<string, RosterEntry>();
  for (const entry of roster?.entries ?? []) if (entry.folder) rosterByFolder.set(entry.folder.toLowerCase(), entry);
  const matched = new Set<RosterEntry>();
  const students = new Map<string, StudentEntry>();
  const foldersByStudent = new Map<string, Source[]>();
  for (const { source, labs } of located) {
    const entry = rosterByFolder.get(source.name.toLowerCase()) ?? rosterByFolder.get(path.basename(source.rel).toLowerCase());
    let identity: StudentIdentity;
    if (entry) {
      identity = entry.identity;
      matched.add(entry);
    } else {
      identity = identityOfFolder(source.name);
      if (roster) problems.push({ kind: 'not-in-roster', student: source.name, where: source.rel, lab: null, message: `folder "${source.rel}" is not in the roster ${path.basename(roster.file)}: graded under the name "${source.name}"`, graded: true });
    }
    // Problems of a folder get the student's key once the roster has said who it is.
    for (const p of problems) if (p.where === source.rel) p.student = identity.key;
    // GitHub usernames and most folder names ignore case: "Alice" and "alice" are one student.
    const id = identity.key.toLowerCase();
    const student = students.get(id) ?? { identity, folders: [], labs: new Map<string, LabSource>() };
    students.set(id, student);
    student.folders.push(source.rel);
    foldersByStudent.set(id, [...(foldersByStudent.get(id) ?? []), source]);
    for (const [lab, labSource] of labs) {
      const other = student.labs.get(lab);
      if (other) {
        problems.push({ kind: 'two-folders', student: identity.key, where: `${other.folder} and ${labSource.folder}`, lab, message: `two folders hold ${lab} for ${identity.key}: ${other.folder} and ${labSource.folder}; neither is graded until one is removed`, graded: false });
        continue;
      }
      student.labs.set(lab, labSource);
    }
  }
  for (const [id, student] of students) {
    const conflicted = new Set(problems.filter((p) => p.kind === 'two-folders' && p.student === student.identity.key).map((p) => p.lab));
    for (const lab of conflicted) if (lab) student.labs.delete(lab);
    const plain = (foldersByStudent.get(id) ?? []).filter((s) => s.assignment === null);
    if (plain.length > 1 && conflicted.size === 0) {
      problems.push({ kind: 'two-folders', student: student.identity.key, where: plain.map((s) => s.rel).join(' and '), lab: null, message: `two folders for ${student.identity.key}: ${plain.map((s) => s.rel).join(' and ')}; their labs do not overlap, so both are graded`, graded: true });
    }
  }
  for (const entry of roster?.entries ?? []) {
    if (matched.has(entry)) continue;
    const id = entry.identity.key.toLowerCase();
    if (students.has(id)) continue;
    students.set(id, { identity: entry.identity, folders: [], labs: new Map() });
    const why = entry.folder ? `no folder "${entry.folder}" in the class folder` : 'no folder named on this line';
    problems.push({ kind: 'roster-no-folder', student: entry.identity.key, where: `${path.basename(roster!.file)}:${entry.identity.rosterLine}`, lab: null, message: `roster line ${entry.identity.rosterLine} (${entry.identity.name ?? entry.identity.key}): ${why}; nothing graded`, graded: false });
  }
  const sorted = [...students.values()].sort((a, b) => compareKeys(a.identity.key, b.identity.key));
  return { students: sorted, problems };
}

export function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, 'en', { sensitivity: 'base', numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** One order for problems wherever they are listed, so a merged batch lists them as the whole batch would. */
export function sortProblems(problems: InputProblem[]): InputProblem[] {
  return [...problems].sort((a, b) =>
    (a.student === null ? -1 : 0) - (b.student === null ? -1 : 0) ||
    compareKeys(a.student ?? '', b.student ?? '') ||
    compareKeys(a.where, b.where) ||
    a.kind.localeCompare(b.kind) ||
    (a.lab ?? '').localeCompare(b.lab ?? '') ||
    a.message.localeCompare(b.message));
}
