import { cpSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CASES_FILE, TESTS_DIR } from '../spec/cases.js';

/**
 * When a lab is graded in its own folder (the default submission, `npm run
 * grade lab-03`) and that folder holds the teacher's cases (tests/cases.json),
 * the grading sees a copy without tests/: the references and wrong variants must
 * not reach an image's build context (`COPY . .`), a sandbox, or a check that
 * lists the submission's own files. Null when there is nothing to hide.
 */
export function ownFolderWithoutCases(labDir: string, submission: string | undefined): { dir: string; original: string; remove: () => void } | null {
  const original = path.resolve(submission ?? labDir);
  if (!existsSync(path.join(original, TESTS_DIR, CASES_FILE))) return null;
  let same: boolean;
  try {
    same = realpathSync(original) === realpathSync(labDir);
  } catch {
    return null;
  }
  if (!same) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), `dockerlab-${path.basename(labDir)}-own-`));
  try {
    for (const entry of readdirSync(original)) {
      if (entry !== TESTS_DIR) cpSync(path.join(original, entry), path.join(dir, entry), { recursive: true, verbatimSymlinks: true });
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, original, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
