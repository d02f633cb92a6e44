import type { Lang } from '../i18n/lang.js';
import { toCsv, type CsvValue } from './csv.js';
import type { Cell, Gradebook } from './gradebook.js';
import type { LabInfo } from './types.js';

/** In the teacher's gradebook an error is written as such, never as a 0; a lab not handed in is empty. */
function gradebookCell(cell: Cell): CsvValue {
  if (cell.state === 'graded') return cell.score;
  if (cell.state === 'error') return 'error';
  if (cell.state === 'pending') return 'pending';
  return null;
}

/** LMS imports get numbers or nothing: an empty cell leaves the LMS grade as it was. */
const lmsCell = (cell: Cell): CsvValue => (cell.state === 'graded' ? cell.score : null);

export const labColumn = (lab: LabInfo, lang: Lang) => `${lab.id} ${lab.title[lang]}`;

/**
 * gradebook.csv: a row per student, a column per lab and the total, and a
 * "points possible" row first (as Otter-Grader's final_grades.csv), then the
 * notes that explain every cell that is not a plain score. UTF-8 with a BOM, so
 * that spreadsheets read accented names right.
 */
export function gradebookCsv(book: Gradebook, { anonymised }: { anonymised: boolean }): string {
  const who = anonymised ? ['student'] : ['student', 'name', 'email', 'student_id', 'folders'];
  const header = [...who, ...book.labs.map((l) => l.id), 'total', 'notes'];
  const possible: CsvValue[] = ['points possible', ...who.slice(1).map(() => null), ...book.labs.map((l) => l.maxScore), book.maxTotal, null];
  const rows = book.rows.map((row): CsvValue[] => [
    ...(anonymised ? [row.display] : [row.identity.key, row.identity.name, row.identity.email, row.identity.studentId, row.folders.join(' ')]),
    ...row.cells.map(gradebookCell),
    row.total,
    row.notes.join(' · ') || null,
  ]);
  return toCsv([header, possible, ...rows], { bom: true });
}

/**
 * moodle.csv for Moodle's "Import grades from CSV": Moodle matches students on
 * a column the teacher maps to username, email address or ID number, and each lab
 * column to a grade item. Students with neither username nor email cannot be
 * matched and are left out (the summary says how many).
 */
export function moodleCsv(book: Gradebook, lang: Lang): { csv: string; leftOut: string[] } {
  const header = ['username', 'email', 'idnumber', 'name', ...book.labs.map((l) => labColumn(l, lang))];
  const leftOut: string[] = [];
  const rows: CsvValue[][] = [];
  for (const row of book.rows) {
    const { username, email, studentId, name } = row.identity;
    if (!username && !email && !studentId) {
      leftOut.push(row.identity.key);
      continue;
    }
    rows.push([username, email, studentId, name, ...row.cells.map(lmsCell)]);
  }
  return { csv: toCsv([header, ...rows]), leftOut };
}

/**
 * canvas.csv for Canvas' gradebook import: `Student,ID,SIS User ID,SIS Login ID,Section`
 * then one column per assignment, and a "Points Possible" row right under the header.
 * Canvas matches rows on ID, SIS User ID or SIS Login ID (the name is informative);
 * an assignment column whose name Canvas does not know creates that assignment.
 */
export function canvasCsv(book: Gradebook, lang: Lang): { csv: string; leftOut: string[] } {
  const header = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...book.labs.map((l) => labColumn(l, lang))];
  const possible: CsvValue[] = ['Points Possible', null, null, null, null, ...book.labs.map((l) => l.maxScore)];
  const leftOut: string[] = [];
  const rows: CsvValue[][] = [];
  for (const row of book.rows) {
    const i = row.identity;
    const sisUser = i.sisUserId ?? i.studentId;
    const sisLogin = i.sisLoginId ?? i.username ?? i.email;
    if (!i.canvasId && !sisUser && !sisLogin) {
      leftOut.push(i.key);
      continue;
    }
    rows.push([i.name ?? i.key, i.canvasId, sisUser, sisLogin, i.section, ...row.cells.map(lmsCell)]);
  }
  return { csv: toCsv([header, possible, ...rows]), leftOut };
}
