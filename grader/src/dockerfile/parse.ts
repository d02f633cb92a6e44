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
    const args = argumentsAsWritten(instruction.getTextContent());
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

/**
 * An instruction's arguments as written, flags included (dockerfile-ast leaves
 * `--from=…`, `--chown=…` out of its arguments), continuation lines joined and
 * the comment lines inside them dropped, as the builders do.
 */
function argumentsAsWritten(text: string): string {
  const lines = text.split(/\r?\n/);
  const kept = lines.filter((line, i) => i === 0 || !/^\s*#/.test(line));
  return kept.join('\n').replace(/^\s*\S+/, '').replace(/\\\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
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

/** The stage a builder names a step with (see build/output.ts). */
export interface StepStage {
  index: number | null;
  label: string | null;
}

/** A step as a builder printed it, enough to find its instruction. */
export interface PrintedStep {
  builder: 'classic' | 'buildkit';
  stage: StepStage;
  /** Classic: N of "Step N/M". BuildKit: i of "[stage i/n]". */
  position: number;
  instruction: string;
  keyword: string;
}

/** Instructions BuildKit shows as steps; the others (ENV, LABEL, CMD…) only change the image's config. */
export const BUILDKIT_STEP_KEYWORDS: ReadonlySet<string> = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'WORKDIR']);

function normalized(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toUpperCase();
}

/** The Dockerfile stage a builder's stage label means: a stage the student named so, else BuildKit's "stage-N" / the classic builder's count. */
export function stageOfStep(parsed: ParsedDockerfile, stage: StepStage): number | null {
  if (stage.label !== null) {
    const named = parsed.stages.find((s) => s.name !== null && s.name === stage.label!.toLowerCase());
    if (named) return named.index;
  }
  return stage.index !== null && stage.index < parsed.stages.length ? stage.index : null;
}

/**
 * The instruction a builder's step stands for. The classic builder counts every
 * instruction ("Step N/M", global ARGs included); BuildKit counts, per stage,
 * FROM and the instructions that change the filesystem ("[build 2/4]"). Matched
 * on position and keyword first, then on the text as printed.
 */
export function instructionOfStep(parsed: ParsedDockerfile, step: PrintedStep): Instruction | undefined {
  const wanted = normalized(step.instruction);
  const byText = (pool: Instruction[]) => {
    const same = pool.filter((i) => normalized(`${i.keyword} ${i.args}`) === wanted);
    return same.length === 1 ? same[0] : undefined;
  };
  if (step.builder === 'classic') {
    const at = parsed.instructions[step.position - 1];
    if (at && at.keyword === step.keyword) return at;
    return byText(parsed.instructions);
  }
  const stage = stageOfStep(parsed, step.stage);
  if (stage === null) return byText(parsed.instructions);
  const inStage = parsed.instructions.filter((i) => i.stage === stage);
  const at = inStage.filter((i) => BUILDKIT_STEP_KEYWORDS.has(i.keyword))[step.position - 1];
  if (at && at.keyword === step.keyword) return at;
  return byText(inStage);
}

/**
 * Both builders reject some malformed instructions without naming a line
 * ("ENV must have two arguments", "COPY requires at least two arguments"):
 * the first instruction of that keyword that such a message fits.
 */
export function instructionForParseError(parsed: ParsedDockerfile, message: string): Instruction | undefined {
  const flag = /^Unknown flag: (\S+)/i.exec(message);
  if (flag) return parsed.instructions.find((i) => i.args.split(' ').some((w) => w.replace(/=.*$/, '') === `--${flag[1]}`));
  const keyword = /^([A-Z]+) /.exec(message)?.[1];
  if (!keyword) return undefined;
  const candidates = parsed.instructions.filter((i) => i.keyword === keyword);
  const words = (i: Instruction) => i.args.split(' ').filter((w) => w && !w.startsWith('--'));
  const fits = (i: Instruction): boolean => {
    if (/must have two arguments|names can not be blank/.test(message)) return !i.args.includes('=') && words(i).length < 2;
    if (/requires at least two arguments/.test(message)) return words(i).length < 2;
    if (/requires exactly one argument/.test(message)) return words(i).length !== 1;
    if (/requires at least one argument/.test(message)) return words(i).length === 0;
    return false;
  };
  return candidates.find(fits) ?? (candidates.length === 1 ? candidates[0] : undefined);
}
