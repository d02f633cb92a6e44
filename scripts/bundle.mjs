// Bundles the CLI (and the bench / schema writers) into grader/dist with esbuild.
// Why: loading dockerode, execa, ajv and TypeBox as hundreds of separate modules
// cost ~0.5 s per run; one bundle with lazily loaded chunks starts in ~0.1 s.
// Type checking is `npm run typecheck` (tsc); this step only transpiles.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('grader/dist', { recursive: true, force: true });

// dockerode loads gRPC and protobuf at start-up for BuildKit sessions, which the
// grader never opens through it (builds go through the docker CLI): a 1.3 MB chunk
// parsed on every run for nothing. Replace that one module with a stub that says so.
const noBuildkitSession = {
  name: 'no-buildkit-session',
  setup(b) {
    b.onResolve({ filter: /^\.\/session$/ }, (args) =>
      /dockerode[\\/]lib$/.test(args.resolveDir) ? { path: 'dockerode-session-stub', namespace: 'stub' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "module.exports = function () { throw new Error('dockerlab: BuildKit sessions through dockerode are not bundled; builds use the docker CLI'); };",
      loader: 'js',
    }));
  },
};
await build({
  entryPoints: { cli: 'grader/src/cli.ts', bench: 'grader/src/bench/bench.ts', 'bench-verdicts': 'grader/src/bench/verdicts.ts', 'bench-batch': 'grader/src/bench/batch-bench.ts', 'bench-sandbox': 'grader/src/bench/sandbox-bench.ts', 'bench-class': 'grader/src/bench/class-bench.ts', 'write-schema': 'grader/src/spec/write-schema.ts', 'write-docs': 'grader/src/spec/write-docs.ts' },
  outdir: 'grader/dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Optional native add-ons of dockerode's SSH transport, and recheck (a worker plus a native
  // checker): loaded from node_modules only when used.
  external: ['ssh2', 'cpu-features', 'recheck'],
  banner: { js: "import { createRequire as __dockerlabRequire } from 'node:module'; const require = __dockerlabRequire(import.meta.url);" },
  // Prefer packages' ESM builds: jsonc-parser's UMD build requires its parts dynamically, which a bundle cannot follow.
  mainFields: ['module', 'main'],
  plugins: [noBuildkitSession],
  logLevel: 'warning',
});
