import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fullLabSchema } from './full-schema.js';

/** Writes labs/lab.schema.json, which editors use for completion; `npm run schema` after changing a check kind. */
const target = fileURLToPath(new URL('../../../labs/lab.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(fullLabSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
