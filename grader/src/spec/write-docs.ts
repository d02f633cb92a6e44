import { readFileSync, writeFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { withKindsReference } from './docs.js';

/** Rewrites the generated reference of kinds in README.md; `npm run docs` after adding or changing a kind. */
const target = fromRoot('README.md');
writeFileSync(target, withKindsReference(readFileSync(target, 'utf8')));
process.stdout.write(`updated the kinds reference in ${target}\n`);
