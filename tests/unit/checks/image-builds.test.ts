import { imageBuilds } from '../../../grader/src/checks/image-builds.js';
import type { BuildFailure } from '../../../grader/src/engine/facts.js';
import { testCheckKind } from '../../helpers/check-tester.js';

const failed = (failure: Partial<BuildFailure> & Pick<BuildFailure, 'kind'>) => ({ build: { ok: false, failure: { reason: 'the builder said so', output: [], ...failure } } });

testCheckKind(imageBuilds as never, {
  passing: [{ name: 'it builds', check: {}, world: { build: { ok: true, durationMs: 2300 } }, observed: 'image built in 2.3 s' }],
  failing: [
    { name: 'a RUN exits 1, with that step\'s output', check: {}, world: failed({ kind: 'command', exitCode: 1, line: 3, instruction: 'RUN pip install -r requirements.txt', output: ['ERROR: Could not find a version that satisfies the requirement flask', 'the builder said so'] }), observed: /failed at line 3: RUN pip install -r requirements\.txt\nthe command exited with code 1\n {2}\| ERROR: Could not find a version/, location: { file: 'Dockerfile', line: 3 } },
    { name: 'a RUN killed for memory', check: {}, world: failed({ kind: 'command', exitCode: 137, line: 2, instruction: 'RUN make' }), observed: 'went past the memory the build may use' },
    { name: 'a RUN whose code is unknown', check: {}, world: failed({ kind: 'command', reason: 'process did not complete', line: 2, instruction: 'RUN x' }), observed: 'process did not complete' },
    { name: 'COPY of a file .dockerignore excludes', check: {}, world: failed({ kind: 'missing-source', path: 'app.py', line: 4, instruction: 'COPY app.py .' }), observed: '"app.py" is not in the build context (missing from the folder, or excluded by .dockerignore)' },
    { name: 'COPY with no path named', check: {}, world: failed({ kind: 'missing-source', reason: 'COPY failed: no source files were specified', line: 4, instruction: 'COPY *.txt .' }), observed: 'a file to copy is not in the build context: COPY failed' },
    { name: 'COPY --from a path the stage lacks', check: {}, world: failed({ kind: 'missing-source', path: 'src/hello', line: 5, instruction: 'COPY --from=build src/hello /hello' }), observed: '"/src/hello" does not exist in stage or image "build" (COPY --from)' },
    { name: 'a parse error', check: {}, world: failed({ kind: 'syntax', reason: 'ENV names can not be blank', line: 2 }), observed: 'malformed instruction: ENV names can not be blank' },
    { name: 'an unknown instruction', check: {}, world: failed({ kind: 'unknown-instruction', word: 'COPPY', line: 2, instruction: 'COPPY . .' }), observed: 'unknown instruction: "COPPY"' },
    { name: 'an unknown instruction, word unknown', check: {}, world: failed({ kind: 'unknown-instruction', reason: 'unknown instruction', line: 2 }), observed: 'malformed instruction: unknown instruction' },
    { name: 'no FROM', check: {}, world: failed({ kind: 'no-from' }), observed: /^failed: the Dockerfile has no FROM/ },
    { name: 'a base image that cannot be had', check: {}, world: failed({ kind: 'base-image', image: 'pyhton:3.11', reason: 'pull access denied', line: 1, instruction: 'FROM pyhton:3.11' }), observed: 'base image "pyhton:3.11" is not available: pull access denied' },
    { name: 'past its time limit', check: {}, world: failed({ kind: 'time-limit', seconds: 300, line: 3, instruction: 'RUN sleep 1000' }), observed: 'ran past its time limit (300 s)' },
    { name: 'interrupted', check: {}, world: failed({ kind: 'interrupted' }), observed: 'the build was interrupted' },
    { name: 'the Dockerfile is missing', check: {}, world: failed({ kind: 'missing-dockerfile' }), observed: 'file Dockerfile is not in your submission' },
    { name: 'a link out of the submission', check: {}, world: failed({ kind: 'dockerfile-outside' }), observed: 'is a link to a file outside your submission' },
    { name: 'a huge Dockerfile', check: {}, world: failed({ kind: 'dockerfile-too-large' }), observed: 'is over 1 MiB' },
    { name: 'something else', check: {}, world: failed({ kind: 'other', reason: 'failed to export image' }), observed: 'failed: failed to export image' },
    { name: 'a very long RUN is cut', check: {}, world: failed({ kind: 'command', exitCode: 2, line: 9, instruction: `RUN ${'x'.repeat(500)}` }), observed: /RUN x{296}…/ },
    { name: 'in French', lang: 'fr', check: {}, world: failed({ kind: 'command', exitCode: 127, line: 2, instruction: 'RUN pyton app.py', output: ['/bin/sh: 1: pyton: not found'] }), observed: /échec à la ligne 2 : RUN pyton app\.py\nla commande s'est terminée avec le code 127\n {2}\| \/bin\/sh: 1: pyton: not found/ },
  ],
});
