/**
 * lab-06's no-compiler check, as its own spec writes it: the image's architecture
 * is the student's machine's when they grade their own work (an arm64 laptop,
 * a riscv64 board), so the compiler drivers' names carry that machine's triplet.
 */
import path from 'node:path';
import { imageFilesAbsent } from '../../../grader/src/checks/image-files.js';
import { labsDir, loadLabFile } from '../../../grader/src/spec/load.js';
import { testCheckKind } from '../../helpers/check-tester.js';

const lab = loadLabFile(path.join(labsDir(), 'lab-06', 'lab.json'));
const { id, kind, points, title, hint, requires, ...noCompiler } = lab.checks.find((c) => c.id === 'no-compiler')! as Record<string, unknown>;
const only = (...files: string[]) => ({ image: { filesystem: files.map((p) => ({ path: p, type: 'symlink' as const })) } });

testCheckKind(imageFilesAbsent as never, {
  passing: [
    {
      name: 'a debian runtime: the C++ and gcc runtime libraries are not compilers',
      check: noCompiler,
      world: only('/usr/lib/x86_64-linux-gnu/libgcc_s.so.1', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/usr/bin/gcc-ar-12', '/usr/bin/c++filt', '/hello'),
    },
  ],
  failing: [
    { name: 'x86_64 (the grader\'s machines)', check: noCompiler, world: only('/usr/bin/x86_64-linux-gnu-g++-12'), observed: 'found 1' },
    { name: 'arm64 laptop', check: noCompiler, world: only('/usr/bin/aarch64-linux-gnu-gcc-12'), observed: 'found 1' },
    { name: '32-bit arm', check: noCompiler, world: only('/usr/bin/arm-linux-gnueabihf-g++-12'), observed: 'found 1' },
    { name: 'riscv64', check: noCompiler, world: only('/usr/bin/riscv64-linux-gnu-g++-12'), observed: 'found 1' },
    { name: 'ppc64le', check: noCompiler, world: only('/usr/bin/powerpc64le-linux-gnu-gcc-12.2'), observed: 'found 1' },
    { name: 's390x', check: noCompiler, world: only('/usr/bin/s390x-linux-gnu-c++'), observed: 'found 1' },
    { name: 'an alpine triplet (musl)', check: noCompiler, world: only('/usr/bin/x86_64-alpine-linux-musl-g++'), observed: 'found 1' },
    { name: 'a vendor triplet', check: noCompiler, world: only('/usr/bin/aarch64-unknown-linux-gnu-gcc'), observed: 'found 1' },
  ],
});
