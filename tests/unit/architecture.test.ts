import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/submissions.js';

/**
 * Keeps ARCHITECTURE.md true: its layer table is the rule (not a copy of it), read here and applied to every
 * import of grader/src (static, dynamic and type-only, as TypeScript itself lists them).
 */

const SRC = path.join(ROOT, 'grader', 'src');
const DOC = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');

interface Group { layer: number; members: string[]; room: boolean }

function tableRows(heading: string): string[][] {
  const section = DOC.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`ARCHITECTURE.md has no "## ${heading}" section`);
  return section.split('\n').filter((l) => /^\|/.test(l) && !/^\|[-| ]+\|$/.test(l)).slice(1)
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

function layersFromDoc(): Group[] {
  return tableRows('Layers').map(([layer, folders, what]) => ({
    layer: Number(layer),
    members: [...folders!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
    room: what!.startsWith('room:'),
  }));
}

/** The folder (or top-level file) a path of grader/src belongs to. */
const unitOf = (rel: string): string => rel.split('/')[0]!;

interface Violation { from: string; to: string; why: string }

/** Pure: the imports that break the layers' rules. `imports` maps a file of grader/src to the files it imports. */
export function violations(imports: Map<string, string[]>, groups: Group[]): Violation[] {
  const groupOf = new Map<string, Group>();
  for (const g of groups) for (const m of g.members) groupOf.set(m, g);
  const rooms = new Set(groups.filter((g) => g.room).flatMap((g) => g.members));
  const out: Violation[] = [];
  for (const [from, targets] of imports) {
    const a = unitOf(from);
    for (const to of targets) {
      const b = unitOf(to);
      if (a === b) continue;
      const ga = groupOf.get(a);
      const gb = groupOf.get(b);
      if (!ga || !gb) {
        out.push({ from, to, why: `${!ga ? a : b} is in no layer of ARCHITECTURE.md` });
        continue;
      }
      if (rooms.has(b) && to !== `${b}/index.ts`) out.push({ from, to, why: `enters the ${b} room other than by its door (${b}/index.ts)` });
      if (ga === gb) continue;
      if (ga.layer < gb.layer) out.push({ from, to, why: `runs up: layer ${ga.layer} (${a}) imports layer ${gb.layer} (${b})` });
      else if (ga.layer === gb.layer) out.push({ from, to, why: `runs sideways: ${a} and ${b} are separate folders of layer ${ga.layer}` });
    }
  }
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'))
      .map((s) => path.relative(SRC, path.resolve(path.dirname(file), s)).replace(/\.js$/, '.ts'));
    graph.set(path.relative(SRC, file), targets);
  }
  return graph;
}

describe('the house (ARCHITECTURE.md)', () => {
  const groups = layersFromDoc();

  it('reads the layer table and its four rooms', () => {
    expect(groups.length).toBeGreaterThanOrEqual(10);
    expect(groups.filter((g) => g.room).flatMap((g) => g.members).sort()).toEqual(['build', 'compose', 'engine', 'sandbox']);
  });

  it('finds what it is meant to find (a door skipped, an arrow up, an arrow sideways, a folder in no layer)', () => {
    const fake = new Map([
      ['grade.ts', ['sandbox/container.ts', 'sandbox/index.ts']],
      ['engine/docker.ts', ['build/index.ts', 'engine/errors.ts']],
      ['build/build.ts', ['sandbox/index.ts', 'engine/index.ts']],
      ['newroom/x.ts', ['engine/index.ts']],
    ]);
    expect(violations(fake, groups).map((v) => `${v.from} -> ${v.to}: ${v.why.split(':')[0]}`)).toEqual([
      'grade.ts -> sandbox/container.ts: enters the sandbox room other than by its door (sandbox/index.ts)',
      'engine/docker.ts -> build/index.ts: runs up',
      'build/build.ts -> sandbox/index.ts: runs sideways',
      'newroom/x.ts -> engine/index.ts: newroom is in no layer of ARCHITECTURE.md',
    ]);
  });

  it('every import of grader/src flows down its layers and enters rooms by their doors', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(violations(graph, groups).map((v) => `${v.from} -> ${v.to}: ${v.why}`)).toEqual([]);
  });

  it('every folder and top-level file of grader/src is in a layer; every room has its door', () => {
    const named = new Set(groups.flatMap((g) => g.members));
    const units = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory() || e.name.endsWith('.ts')).map((e) => e.name);
    expect(units.filter((u) => !named.has(u))).toEqual([]);
    expect([...named].filter((u) => !units.includes(u))).toEqual([]);
    for (const room of groups.filter((g) => g.room).flatMap((g) => g.members)) expect(existsSync(path.join(SRC, room, 'index.ts'))).toBe(true);
  });

  it('"Where to change what" names paths that exist', () => {
    const rows = tableRows('Where to change what');
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const paths = rows.flatMap(([, change]) => [...change!.matchAll(/`((?:grader|tests|labs)\/[^`]*)`/g)].map((m) => m[1]!));
    expect(paths.length).toBeGreaterThanOrEqual(rows.length);
    expect(paths.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });

  it('a file over 300 lines says why at its top', () => {
    const long = sourceFiles(SRC).map((f) => ({ f: path.relative(SRC, f), text: readFileSync(f, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > 300);
    expect(long.filter(({ text }) => !text.replace(/^#!.*\n/, '').startsWith('// Over 300 lines because ')).map(({ f }) => f)).toEqual([]);
  });
});
