import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { InputProblem, StudentIdentity } from './types.js';

/** A roster file that cannot be used at all (unreadable, no column naming folders): the batch stops with exit 2. */
export class RosterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RosterError';
  }
}

export interface RosterEntry {
  /** The folder (or GitHub username) this line names; null when the cell is empty. */
  folder: string | null;
  identity: StudentIdentity;
}

export interface Roster {
  file: string;
  entries: RosterEntry[];
  problems: InputProblem[];
}

/**
 * Column names accepted for each field, compared without case, accents, spaces,
 * dashes or underscores. GitHub Classroom's roster export (identifier,
 * github_username, github_id, name), Moodle's (username, email, idnumber) and
 * Canvas' (SIS User ID, SIS Login ID) work as they are.
 */
const COLUMNS = {
  folder: ['folder', 'dossier', 'githubusername', 'github', 'githublogin', 'repo', 'repository', 'login'],
  studentId: ['studentid', 'identifier', 'rosteridentifier', 'idnumber', 'numeroetudiant', 'matricule', 'sisuserid', 'numero', 'id'],
  name: ['name', 'fullname', 'nomcomplet', 'student', 'etudiant'],
  firstName: ['firstname', 'prenom', 'givenname'],
  lastName: ['lastname', 'nom', 'surname', 'familyname'],
  email: ['email', 'useremail', 'mail', 'emailaddress', 'courriel', 'adressemail'],
  username: ['username', 'user'],
  section: ['section', 'group', 'groupe', 'classe'],
  canvasId: ['canvasid', 'canvasuserid'],
  sisUserId: ['sisuserid'],
  sisLoginId: ['sisloginid'],
} as const;

type Field = keyof typeof COLUMNS;

export function normaliseHeader(header: string): string {
  return header.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[\s_\-.]/g, '');
}

function columnIndex(headers: string[], field: Field): number {
  const wanted = (COLUMNS[field] as readonly string[]).map(normaliseHeader);
  // The first accepted name wins over later ones, so "folder" beats "login" when both exist.
  for (const name of wanted) {
    const index = headers.findIndex((h) => normaliseHeader(h) === name);
    if (index >= 0) return index;
  }
  return -1;
}

/**
 * Reads a roster CSV (comma or semicolon, as French spreadsheets write it; UTF-8
 * with or without BOM; quoted cells). Lines that cannot be used are problems
 * reported by line number; only a roster with no usable column at all is refused.
 */
export function readRoster(file: string): Roster {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RosterError(`cannot read the roster ${file}: ${(error as Error).message}`);
  }
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, delimiter: [',', ';', '\t'], relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (error) {
    throw new RosterError(`the roster ${file} is not valid CSV: ${(error as Error).message}`);
  }
  const [headers, ...lines] = rows;
  if (!headers) throw new RosterError(`the roster ${file} is empty; it needs a header line, e.g. folder,student_id,name,email`);
  const at = Object.fromEntries((Object.keys(COLUMNS) as Field[]).map((f) => [f, columnIndex(headers, f)])) as Record<Field, number>;
  // In a Canvas gradebook export, "ID" is Canvas' own user id and "SIS User ID" the student number.
  if (at.canvasId < 0 && at.sisUserId >= 0) {
    at.canvasId = headers.findIndex((h) => normaliseHeader(h) === 'id');
    if (normaliseHeader(headers[at.studentId] ?? '') === 'id') at.studentId = at.sisUserId;
  }
  // Without a folder column, a username column names the folders (GitHub usernames in Classroom layouts).
  const folderColumn = at.folder >= 0 ? at.folder : at.username;
  if (folderColumn < 0) {
    throw new RosterError(
      `the roster ${file} has no column naming the students' folders; its columns are ${headers.map((h) => `"${h}"`).join(', ')}. ` +
        `Add one named folder (or github_username, username): the name of each student's folder in DIR.`,
    );
  }
  const entries: RosterEntry[] = [];
  const problems: InputProblem[] = [];
  const seenFolders = new Map<string, number>();
  lines.forEach((cells, index) => {
    const line = index + 2;
    const cell = (i: number) => (i >= 0 ? (cells[i] ?? '').trim() || null : null);
    const folder = cell(folderColumn);
    const studentId = cell(at.studentId);
    const name = cell(at.name) ?? ([cell(at.firstName), cell(at.lastName)].filter(Boolean).join(' ') || null);
    const email = cell(at.email);
    const key = studentId ?? folder ?? email;
    if (!key) {
      problems.push({ kind: 'roster-no-folder', student: null, where: `${file}:${line}`, lab: null, message: `roster line ${line} names no folder, id or email: ignored`, graded: false });
      return;
    }
    if (folder) {
      const earlier = seenFolders.get(folder.toLowerCase());
      if (earlier !== undefined) {
        problems.push({ kind: 'roster-duplicate', student: key, where: `${file}:${line}`, lab: null, message: `roster line ${line} names folder "${folder}" again (already on line ${earlier}): the later line is ignored`, graded: true });
        return;
      }
      seenFolders.set(folder.toLowerCase(), line);
    }
    entries.push({
      folder,
      identity: {
        key,
        name,
        email,
        studentId,
        username: cell(at.username) ?? (at.folder >= 0 ? null : folder),
        section: cell(at.section),
        canvasId: cell(at.canvasId),
        sisUserId: cell(at.sisUserId),
        sisLoginId: cell(at.sisLoginId),
        rosterLine: line,
      },
    });
  });
  return { file, entries, problems };
}

/** The identity of a folder no roster describes. */
export function identityOfFolder(key: string): StudentIdentity {
  return { key, name: null, email: null, studentId: null, username: key, section: null, canvasId: null, sisUserId: null, sisLoginId: null, rosterLine: null };
}
