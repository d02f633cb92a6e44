import { CHECK_KINDS } from '../../grader/src/checks/index.js';
import { titleOf } from '../../grader/src/titles.js';
import { LANGS } from '../../grader/src/i18n/lang.js';
import { MESSAGES } from '../../grader/src/i18n/messages.js';

describe('check kinds', () => {
  it('are listed sorted by name, once each', () => {
    const names = CHECK_KINDS.map((k) => k.kind);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(CHECK_KINDS.map((k) => [k.kind, k] as const))('%s speaks French and English with the same message ids', (_name, kind) => {
    const ids = LANGS.map((lang) => Object.keys(kind.messages[lang]).sort());
    expect(ids[0]).toEqual(ids[1]);
    expect(ids[0]).toContain('title');
    expect(kind.description.length).toBeGreaterThan(10);
  });

  it('the grader messages exist in both languages', () => {
    expect(Object.keys(MESSAGES.fr).sort()).toEqual(Object.keys(MESSAGES.en).sort());
  });

  it('fills title templates from the check fields, leaving no placeholder', () => {
    const samples = [
      { id: 'a', kind: 'http', points: 1, port: 8080, path: '/', expect: { status: 200, bodyContains: 'ok' } },
      { id: 'b', kind: 'container-port', points: 1, container: 'web', containerPort: 80, hostPort: 8080 },
      { id: 'c', kind: 'container-state', points: 1, container: 'ancien', status: 'exited' },
      { id: 'd', kind: 'exec', points: 1, command: ['nginx', '-t'], expect: {} },
      { id: 'e', kind: 'image-env', points: 1, name: 'A', value: '1' },
      { id: 'f', kind: 'port-closed', points: 1, port: 80 },
      { id: 'g', kind: 'logs-contain', points: 1, pattern: 'x', absent: true },
    ];
    for (const lang of LANGS) {
      for (const sample of samples) expect(titleOf(sample, lang)).not.toMatch(/\{\w+\}/);
    }
    expect(titleOf(samples[0]!, 'en')).toBe('GET / on port 8080 answers 200 containing "ok"');
    expect(titleOf(samples[2]!, 'fr')).toBe('Le conteneur « ancien » est arrêté');
    expect(titleOf({ id: 'h', kind: 'container-state', points: 1, status: 'running' }, 'en')).toBe('The container is running');
  });
});
