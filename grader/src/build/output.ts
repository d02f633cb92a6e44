// Over 300 lines because one incremental parser for two builders' output (classic and BuildKit): both feed the same
// step table, chunk by chunk.
/**
 * Reads what `docker build` prints, for both builders: the classic builder
 * ("Step N/M : …", " ---> Using cache") and BuildKit with `--progress=plain`
 * ("#5 [build 2/4] RUN …", "#5 CACHED"). Pure: no engine, no Dockerfile; mapping
 * steps to Dockerfile lines is done by the caller (dockerfile/parse.ts).
 *
 * It is fed chunks as they arrive and keeps only what a report needs (the steps,
 * the last lines each step printed, the error lines), so a RUN printing a
 * gigabyte costs time, not memory.
 */

export type BuildOutputBuilder = 'classic' | 'buildkit';

/** The stage a step belongs to, as the builder names it. */
export interface OutputStage {
  /** Classic: counted from the FROM steps. BuildKit: from "stage-N", or 0 when the label is absent (one stage). Null for a stage named by the student. */
  index: number | null;
  /** BuildKit's label ("build", "stage-1") or, for the classic builder, the `AS` name; null when none. */
  label: string | null;
}

export interface OutputStep {
  /** 1-based, in the order the builder started the steps. */
  order: number;
  stage: OutputStage;
  /** Classic: N of "Step N/M" (every instruction counts, global ARGs and the labels the grader adds included). BuildKit: i of "[stage i/n]" (FROM and the filesystem steps of the stage). */
  position: number;
  total: number;
  /** As the builder printed it (continuation lines joined), capped. */
  instruction: string;
  keyword: string;
  cached: boolean;
  state: 'started' | 'done' | 'failed' | 'canceled';
  /** Classic: the image the step produced (or reused). */
  imageId: string | null;
  /** Classic: the container the step ran in. */
  containerId: string | null;
  /** The last lines the step printed (colours, timestamps and builder bookkeeping left out). */
  output: string[];
}

export type OutputFailureKind = 'command' | 'missing-source' | 'syntax' | 'unknown-instruction' | 'base-image' | 'other';

export interface OutputFailure {
  kind: OutputFailureKind;
  /** The builder's own error line, without the transport noise ("rpc error: code = Unknown desc = …"). */
  reason: string;
  /** The step that failed, when the builder names one. */
  step: OutputStep | null;
  /** `command`: the command's exit code. */
  exitCode?: number;
  /** `missing-source`: the path COPY/ADD did not find, as the builder printed it. */
  path?: string;
  /** `base-image`: the image that could not be had. */
  image?: string;
  /** `syntax`, `unknown-instruction`: the Dockerfile line when the builder gives it. */
  line?: number;
  /** `unknown-instruction`: the word the builder did not know. */
  word?: string;
}

export interface ParsedBuildOutput {
  builder: BuildOutputBuilder;
  steps: OutputStep[];
  /** The builder said it wrote (and named) the image. */
  succeeded: boolean;
  /** The final image, when the builder printed it. */
  imageId: string | null;
  /** Why the build failed; null when it succeeded or when the output ends before any error (a killed build). */
  failure: OutputFailure | null;
  /** Classic: the images the build committed (not those reused from the cache), oldest first. */
  committedImages: string[];
  /** Classic: the containers the build's steps ran in. */
  containers: string[];
}

export interface BuildOutputLimits {
  /** Lines kept per step (the last ones). */
  stepOutputLines: number;
  /** Longer lines are cut (a RUN may print a gigabyte without a newline). */
  maxLineLength: number;
  /** Longer instructions are cut. */
  maxInstructionLength: number;
}

export const DEFAULT_OUTPUT_LIMITS: BuildOutputLimits = { stepOutputLines: 20, maxLineLength: 1000, maxInstructionLength: 2000 };

const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** What a terminal would show of a captured line: colours gone, only the last carriage-return rewrite kept. */
export function displayLine(raw: string): string {
  const parts = raw.replace(ANSI, '').split('\r');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i]!.trim()) return parts[i]!.trimEnd();
  return '';
}

/** The docker CLI's banner for the classic builder (Docker 23+), not part of any step. */
const CLASSIC_BANNER = /^(?:DEPRECATED: The legacy builder is deprecated|\s+BuildKit is currently disabled|\s+environment-variable\.|\s+Install the buildx component)/;

/**
 * Lines of the classic builder's own, found by a native regex scan so that the
 * RUN output between them (possibly a gigabyte of it) is never split line by line.
 */
const CLASSIC_MARKER = /^(?:\x1b\[[0-9;]*m)*(?:Step \d+\/\d+ : | ---> |Removing intermediate container |Successfully (?:built|tagged) |The command '|(?:COPY|ADD) failed: |Error response from daemon: |DEPRECATED: |Sending build context to Docker daemon|unable to prepare context: |error checking context: )/gm;
// V8 compiles a regular expression to machine code at once when its first subject
// is long, and may keep interpreting it (5-10x slower over a gigabyte) when its
// first subject is a short line: give it a long first subject.
CLASSIC_MARKER.exec('\n'.repeat(4096));
CLASSIC_MARKER.lastIndex = 0;

/** Layers of transport an error goes through before BuildKit prints it. */
function cleanReason(reason: string): string {
  let out = reason.trim();
  for (;;) {
    const next = out
      .replace(/^ERROR: /, '')
      .replace(/^failed to build: /, '')
      .replace(/^failed to solve(?: with frontend [\w.]+)?: /, '')
      .replace(/^rpc error: code = \w+ desc = /, '')
      .replace(/^failed to create LLB definition: /, '')
      .replace(/^Error response from daemon: /, '');
    if (next === out) return out;
    out = next;
  }
}

/** The kind of a failure and its details, from the builder's error line (classic or BuildKit, old and new wordings). */
export function classifyReason(rawReason: string): Omit<OutputFailure, 'step' | 'reason'> & { reason: string } {
  const reason = cleanReason(rawReason);
  let m = /^The command '([\s\S]*)' returned a non-zero code: (\d+)/.exec(reason);
  if (m) return { kind: 'command', reason, exitCode: Number(m[2]) };
  m = /(?:executor failed running \[[\s\S]*\]|process "[\s\S]*" did not complete successfully): exit code: (\d+)/.exec(reason);
  if (m) return { kind: 'command', reason, exitCode: Number(m[1]) };
  m = /dockerfile parse error (?:on )?line (\d+): unknown instruction: (\S+)/i.exec(reason);
  if (m) return { kind: 'unknown-instruction', reason, line: Number(m[1]), word: m[2]! };
  m = /dockerfile parse error (?:on )?line (\d+): /i.exec(reason);
  if (m) return { kind: 'syntax', reason, line: Number(m[1]) };
  m = /^unknown instruction: (\S+)/i.exec(reason);
  if (m) return { kind: 'unknown-instruction', reason, word: m[1]! };
  m = /^(?:COPY|ADD) failed: (?:[^:]*: )?stat (\S+): file does not exist/.exec(reason);
  if (m) return { kind: 'missing-source', reason, path: m[1]! };
  if (/^(?:COPY|ADD) failed: /.test(reason)) return { kind: 'missing-source', reason };
  m = /failed to compute cache key: (?:[\s\S]*?)"([^"]+)":? not found/.exec(reason);
  if (m) return { kind: 'missing-source', reason, path: m[1]! };
  if (/^failed to parse Dockerfile: /.test(reason)) return { kind: 'syntax', reason: reason.replace(/^failed to parse Dockerfile: /, '') };
  m = /^pull access denied for ([^,\s]+)|^manifest for (\S+) not found|^(\S+): not found$|failed to resolve source metadata for (\S+?):/.exec(reason);
  if (m) return { kind: 'base-image', reason, image: (m[1] ?? m[2] ?? m[3] ?? m[4])! };
  // A frontend error (no step ran): a Dockerfile the builder refused to read.
  if (/failed to create LLB definition: /.test(rawReason)) return { kind: 'syntax', reason };
  return { kind: 'other', reason };
}

interface StreamState {
  carry: string;
  /** The line being received is longer than the cap: drop the rest of it. */
  dropping: boolean;
}

/** Incremental reader of one build's output. `write` the streams as they come, then `end`. */
export class BuildOutputParser {
  private readonly limits: BuildOutputLimits;
  private readonly steps: OutputStep[] = [];
  private readonly streams: Record<'stdout' | 'stderr', StreamState> = { stdout: { carry: '', dropping: false }, stderr: { carry: '', dropping: false } };
  /** Error lines (classic stderr, BuildKit's top-level "ERROR: …") and stray lines outside any step, last ones only. */
  private errors: string[] = [];
  private stray: string[] = [];
  private succeeded = false;
  private imageId: string | null = null;
  private readonly committed: string[] = [];
  private readonly containers: string[] = [];
  // classic
  private current: OutputStep | null = null;
  private stageCount = 0;
  // BuildKit
  private readonly vertices = new Map<number, { name: string; step: OutputStep | null; error: string | null }>();
  private sourceLine: number | null = null;
  private exportDone = false;

  constructor(readonly builder: BuildOutputBuilder, limits: Partial<BuildOutputLimits> = {}) {
    this.limits = { ...DEFAULT_OUTPUT_LIMITS, ...limits };
  }

  /** Called with each new step as it starts. */
  onStep: ((step: OutputStep) => void) | null = null;

  write(chunk: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const state = this.streams[stream];
    let text = state.carry + chunk;
    state.carry = '';
    if (state.dropping) {
      const nl = text.indexOf('\n');
      if (nl === -1) return;
      text = text.slice(nl + 1);
      state.dropping = false;
    }
    const last = text.lastIndexOf('\n');
    const rest = last === -1 ? text : text.slice(last + 1);
    if (last !== -1) this.lines(text.slice(0, last), stream);
    if (rest.length > this.limits.maxLineLength) {
      this.lines(`${rest.slice(0, this.limits.maxLineLength)} […]`, stream);
      state.dropping = true;
    } else {
      state.carry = rest;
    }
  }

  end(): ParsedBuildOutput {
    for (const stream of ['stdout', 'stderr'] as const) {
      const state = this.streams[stream];
      if (state.carry) this.lines(state.carry, stream);
      state.carry = '';
    }
    return {
      builder: this.builder,
      steps: this.steps,
      succeeded: this.builder === 'classic' ? this.succeeded : this.exportDone,
      imageId: this.imageId,
      failure: this.failure(),
      committedImages: [...this.committed],
      containers: [...this.containers],
    };
  }

  private lines(block: string, stream: 'stdout' | 'stderr'): void {
    if (this.builder === 'buildkit') {
      for (const line of block.split('\n')) this.buildkitLine(this.cap(line));
      return;
    }
    if (stream === 'stderr') {
      for (const line of block.split('\n')) this.classicDiagnostic(this.cap(line));
      return;
    }
    CLASSIC_MARKER.lastIndex = 0;
    let from = 0;
    for (let m = CLASSIC_MARKER.exec(block); m; m = CLASSIC_MARKER.exec(block)) {
      if (m.index > from) this.classicOutput(block.slice(from, m.index - 1));
      const nl = block.indexOf('\n', m.index);
      const end = nl === -1 ? block.length : nl;
      this.classicLine(this.cap(block.slice(m.index, end)));
      from = end + 1;
      CLASSIC_MARKER.lastIndex = from;
    }
    if (from <= block.length - 1) this.classicOutput(block.slice(from));
  }

  private cap(line: string): string {
    return line.length > this.limits.maxLineLength ? `${line.slice(0, this.limits.maxLineLength)} […]` : line;
  }

  /** Text between the classic builder's own lines: what the current step printed. Only its last lines are looked at. */
  private classicOutput(segment: string): void {
    const wanted = this.limits.stepOutputLines;
    const found: string[] = [];
    let end = segment.length;
    // Blank lines are skipped, but a flood of them must not make this loop long.
    for (let seen = 0; end > 0 && found.length < wanted && seen < wanted * 20; seen++) {
      const start = segment.lastIndexOf('\n', end - 1);
      const line = displayLine(this.cap(segment.slice(start + 1, end)));
      if (line && !CLASSIC_BANNER.test(line)) found.unshift(line);
      if (start < 0) break;
      end = start;
    }
    if (found.length === 0) return;
    if (this.current) this.keepOutput(this.current, found);
    else this.stray = [...this.stray, ...found].slice(-wanted);
  }

  private keepOutput(step: OutputStep, lines: string[]): void {
    const keep = this.limits.stepOutputLines;
    step.output = step.output.length + lines.length <= keep ? [...step.output, ...lines] : [...step.output, ...lines].slice(-keep);
  }

  private classicLine(raw: string): void {
    const line = displayLine(raw);
    let m = /^Step (\d+)\/(\d+) : ([\s\S]*)$/.exec(line);
    if (m) {
      const instruction = this.capInstruction(m[3]!);
      const keyword = (/^\S+/.exec(instruction)?.[0] ?? '').toUpperCase();
      if (keyword === 'FROM') this.stageCount++;
      const label = keyword === 'FROM' ? (/\sAS\s+(\S+)\s*$/i.exec(instruction)?.[1]?.toLowerCase() ?? null) : (this.current?.stage.label ?? null);
      this.current = this.addStep({ stage: { index: this.stageCount - 1, label }, position: Number(m[1]), total: Number(m[2]), instruction, keyword });
      return;
    }
    const step = this.current;
    if ((m = /^ ---> Running in ([0-9a-f]{12,64})\b/.exec(line))) {
      if (step) step.containerId = m[1]!;
      this.containers.push(m[1]!);
    } else if (/^ ---> Using cache\b/.test(line)) {
      if (step) step.cached = true;
    } else if ((m = /^ ---> ([0-9a-f]{12,64})$/.exec(line))) {
      if (step) {
        step.imageId = m[1]!;
        step.state = 'done';
        if (!step.cached && step.keyword !== 'FROM') this.committed.push(m[1]!);
      }
    } else if ((m = /^Successfully built ([0-9a-f]{12,64})/.exec(line))) {
      this.succeeded = true;
      this.imageId = m[1]!;
    } else if (/^(?:Removing intermediate container |Successfully tagged | ---> |Sending build context)/.test(line) || CLASSIC_BANNER.test(line)) {
      // Bookkeeping.
    } else {
      this.classicDiagnostic(line);
    }
  }

  /** A line on the classic CLI's stderr: its banner, or an error. */
  private classicDiagnostic(raw: string): void {
    const line = displayLine(raw);
    if (!line || CLASSIC_BANNER.test(line) || /^\[?WARNING\]?:? /i.test(line)) return;
    this.errors = [...this.errors, line].slice(-5);
  }

  private addStep(fields: Pick<OutputStep, 'stage' | 'position' | 'total' | 'instruction' | 'keyword'>): OutputStep {
    const step: OutputStep = { order: this.steps.length + 1, ...fields, cached: false, state: 'started', imageId: null, containerId: null, output: [] };
    this.steps.push(step);
    this.onStep?.(step);
    return step;
  }

  private capInstruction(text: string): string {
    const max = this.limits.maxInstructionLength;
    return text.length > max ? `${text.slice(0, max)} […]` : text;
  }

  private buildkitLine(raw: string): void {
    const line = raw.replace(ANSI, '');
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) return this.buildkitTopLevel(line);
    const id = Number(m[1]);
    const rest = m[2]!;
    let vertex = this.vertices.get(id);
    if (!vertex) {
      const header = /^\[(?:(\S+) )?(\d+)\/(\d+)\] ([\s\S]*)$/.exec(rest);
      let step: OutputStep | null = null;
      if (header) {
        const label = header[1] ?? null;
        const stageIndex = label === null ? 0 : /^stage-(\d+)$/.test(label) ? Number(label.slice(6)) : null;
        const instruction = this.capInstruction(header[4]!);
        step = this.addStep({ stage: { index: stageIndex, label }, position: Number(header[2]), total: Number(header[3]), instruction, keyword: (/^\S+/.exec(instruction)?.[0] ?? '').toUpperCase() });
      }
      this.vertices.set(id, { name: rest, step, error: null });
      return;
    }
    if (rest === vertex.name || rest === '...') return;
    const step = vertex.step;
    let s: RegExpExecArray | null;
    if (/^DONE\b/.test(rest)) {
      if (step) step.state = 'done';
      if (/^exporting to image/.test(vertex.name)) this.exportDone = true;
    } else if (rest === 'CACHED') {
      if (step) {
        step.cached = true;
        step.state = 'done';
      }
    } else if ((s = /^ERROR:? ([\s\S]*)$/.exec(rest))) {
      vertex.error = s[1]!;
      if (step) step.state = 'failed';
    } else if (rest === 'CANCELED') {
      if (step) step.state = 'canceled';
    } else if ((s = /^\d+\.\d+(?: ([\s\S]*))?$/.exec(rest))) {
      const text = displayLine(s[1] ?? '');
      if (step && text) this.keepOutput(step, [text]);
    } else if ((s = /^writing image (sha256:[0-9a-f]{64})/.exec(rest))) {
      this.imageId = s[1]!;
    }
  }

  private buildkitTopLevel(line: string): void {
    const text = displayLine(line);
    if (!text) return;
    let m: RegExpExecArray | null;
    if ((m = /^Dockerfile:(\d+)$/.exec(text))) {
      this.sourceLine = Number(m[1]);
    } else if (/^(?:ERROR|error):? /.test(text)) {
      this.errors = [...this.errors, text].slice(-5);
    } else if (/^(?:-{6,}|\s*>|\s*\d+ \||>>>|\d+\.\d+ |WARNING|\d+ warnings? found| - \w+:)/.test(text)) {
      // The error block repeating the failing step's last lines, the source excerpt, lint warnings.
    } else {
      this.stray = [...this.stray, text].slice(-this.limits.stepOutputLines);
    }
  }

  private failure(): OutputFailure | null {
    return this.builder === 'classic' ? this.classicFailure() : this.buildkitFailure();
  }

  private classicFailure(): OutputFailure | null {
    if (this.succeeded) return null;
    const step = this.current;
    const known = this.errors.find((e) => classifyReason(e).kind !== 'other') ?? this.errors[this.errors.length - 1];
    if (known) {
      const details = classifyReason(known);
      // A parse error is raised before any step runs; a failed pull stops at its FROM step.
      const atStep = details.kind === 'syntax' || details.kind === 'unknown-instruction' ? null : step;
      if (details.kind === 'other' && atStep?.keyword === 'FROM' && !atStep.imageId) return { ...details, kind: 'base-image', image: fromImage(atStep.instruction), step: atStep };
      return { ...details, step: atStep };
    }
    // Merged output (tests, logs): the error is the last line printed.
    if (step && step.state === 'started' && step.keyword === 'FROM' && step.output.length > 0) {
      return { kind: 'base-image', reason: step.output[step.output.length - 1]!, image: fromImage(step.instruction), step };
    }
    return null;
  }

  private buildkitFailure(): OutputFailure | null {
    if (this.exportDone) return null;
    const last = this.errors[this.errors.length - 1];
    const failedVertex = [...this.vertices.values()].find((v) => v.error !== null && v.step) ?? [...this.vertices.values()].find((v) => v.error !== null);
    if (!last && !failedVertex) {
      const stray = this.stray[this.stray.length - 1];
      return stray ? { ...classifyReason(stray), step: null } : null;
    }
    const details = classifyReason(last ?? failedVertex!.error!);
    const step = failedVertex?.step ?? null;
    const metadata = failedVertex && !step ? /^\[internal\] load metadata for (\S+)/.exec(failedVertex.name) : null;
    if (metadata) return { ...details, kind: 'base-image', image: metadata[1]!, step: null };
    if (step?.keyword === 'FROM' && details.kind === 'other') return { ...details, kind: 'base-image', image: fromImage(step.instruction), step };
    const line = details.line ?? this.sourceLine ?? undefined;
    return { ...details, ...(line !== undefined ? { line } : {}), step };
  }
}

function fromImage(instruction: string): string {
  return instruction.split(/\s+/).slice(1).find((w) => !w.startsWith('--')) ?? '';
}

/** Parses a whole captured output (both streams merged, as `2>&1` gives them). */
export function parseBuildOutput(builder: BuildOutputBuilder, text: string, limits: Partial<BuildOutputLimits> = {}): ParsedBuildOutput {
  const parser = new BuildOutputParser(builder, limits);
  parser.write(text);
  return parser.end();
}

/** Which builder printed `text`: BuildKit's plain progress numbers its lines "#N ". */
export function detectBuilder(text: string): BuildOutputBuilder {
  return /^#\d+ /m.test(text) ? 'buildkit' : 'classic';
}
