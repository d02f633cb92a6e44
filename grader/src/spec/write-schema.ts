import { writeFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { fullLabSchema } from './full-schema.js';

/** Writes labs/lab.schema.json, which editors use for completion; `npm run schema` after changing a check kind. */
const target = fromRoot('labs', 'lab.schema.json');
writeFileSync(target, `${JSON.stringify(fullLabSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
