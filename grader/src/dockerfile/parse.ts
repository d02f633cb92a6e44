import { createRequire } from 'node:module';
import type * as AstModule from 'dockerfile-ast';

export interface Instruction {
  keyword: string;
  /** Arguments as written, continuation lines joined. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
  /** 0-based stage index the instruction belongs to (-1 for global ARGs before the first FROM). */
  stage: number;
}

export interface Stage {
  index: number;
  name: string | null;
  /** The base as written, with global ARG defaults substituted. */
  base: string;
  line: number;
}

export interface ParsedDockerfile {
  instructions: Instruction[];
  stages: Stage[];
}

let ast: typeof AstModule | undefined;
function loadAst(): typeof AstModule {
  // Loaded on first use only: it is the heaviest module, and most commands never parse a Dockerfile.
  ast ??= createRequire(import.meta.url)('dockerfile-ast') as typeof AstModule;
  return ast;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = loadAst().DockerfileParser.parse(text);
  const globalArgs = new Map<string, string>();
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const line = instruction.getRange().start.line + 1;
    const args = (instruction.getRawArgumentsContent() ?? '').replace(/\\\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
    if (keyword === 'FROM') {
      const words = args.split(' ').filter((w) => !w.startsWith('--'));
      const base = (words[0] ?? '').replace(/\$\{?(\w+)(?::-([^}]*))?\}?/g, (_, name: string, fallback?: string) => globalArgs.get(name) ?? fallback ?? '');
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ index: stages.length, name: asIndex !== -1 ? (words[asIndex + 1] ?? null)?.toLowerCase() ?? null : null, base, line });
    } else if (keyword === 'ARG' && stages.length === 0) {
      const match = /^(\w+)(?:=(.*))?$/.exec(args);
      if (match?.[1]) globalArgs.set(match[1], (match[2] ?? '').replace(/^["']|["']$/g, ''));
    }
    instructions.push({ keyword, args, line, stage: stages.length - 1 });
  }
  return { instructions, stages };
}

/** External images the build pulls from (stage names and scratch excluded). */
export function externalBases(parsed: ParsedDockerfile): string[] {
  const names = new Set<string>();
  const out: string[] = [];
  for (const stage of parsed.stages) {
    if (stage.base && !names.has(stage.base.toLowerCase()) && stage.base !== 'scratch' && !/^\d+$/.test(stage.base)) out.push(stage.base);
    if (stage.name) names.add(stage.name);
  }
  return [...new Set(out)];
}

/** The external image the final stage is built on, following `FROM <stage>` chains; null for scratch. */
export function finalBase(parsed: ParsedDockerfile): { base: string; line: number } | null {
  let stage = parsed.stages[parsed.stages.length - 1];
  const seen = new Set<number>();
  while (stage && !seen.has(stage.index)) {
    seen.add(stage.index);
    const current: Stage = stage;
    const parent = parsed.stages.find((s) => s.name !== null && s.name === current.base.toLowerCase() && s.index < current.index);
    if (!parent) return current.base === 'scratch' ? null : { base: current.base, line: current.line };
    stage = parent;
  }
  return null;
}

/**
 * The instruction the classic builder names in "Step N/M : TEXT": matched on its
 * text first, on its position second.
 */
export function instructionForStep(parsed: ParsedDockerfile, step: number, text: string): Instruction | undefined {
  const wanted = text.replace(/\s+/g, ' ').trim().toUpperCase();
  const byText = parsed.instructions.filter((i) => `${i.keyword} ${i.args}`.toUpperCase() === wanted);
  if (byText.length === 1) return byText[0];
  return parsed.instructions[step - 1];
}
