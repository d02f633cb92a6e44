import { invocationDir } from '../lib/invocation-dir.js';
import { runNewLabCommand } from './new-lab.js';
import { runTestLabCommand } from './test-lab.js';

type InstallSignals = (controller: AbortController, onSecond: () => string) => unknown;

/** The CLI's door to the authoring commands (test-lab, new-lab): cli.ts only dispatches here. */
export async function authoringCommand(argv: string[], installSignals: InstallSignals): Promise<number> {
  const controller = new AbortController();
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal, cwd: invocationDir() };
  if (argv[0] === 'new-lab') return runNewLabCommand(argv.slice(1), io);
  installSignals(controller, () => 'Cases being graded may leave objects; `npm run grade -- --cleanup` removes them.');
  return runTestLabCommand(argv.slice(1), io);
}
