import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers/submissions.js';

const { validateWorkflow } = createRequire(import.meta.url)('@action-validator/core') as typeof import('@action-validator/core');

describe('GitHub Actions workflow', () => {
  const file = path.join(ROOT, '.github/workflows/test.yml');
  const text = readFileSync(file, 'utf8');

  it('is a valid workflow', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('runs the test command on ubuntu-latest', () => {
    expect(text).toMatch(/runs-on: ubuntu-latest/);
    expect(text).toMatch(/run: npm test/);
  });

  it('the validator does reject a broken workflow', () => {
    expect(validateWorkflow('on: push\njobs:\n  x:\n    steps: 3\n').errors.length).toBeGreaterThan(0);
  });
});
