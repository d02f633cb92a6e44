import {
  escapeCommandData,
  escapeCommandProperty,
  escapeMarkdownInline,
  escapeXml,
  escapeXmlText,
  markdownCodeBlock,
  neutralizeWorkflowCommands,
  oneLine,
  plainText,
  safeText,
  showDifference,
  stringifyJson,
  truncateUtf8,
  utf8Length,
} from '../../grader/src/report/sanitize.js';
import { annotation, untrustedBlock } from '../../grader/src/report/workflow-commands.js';

const FORGED = '::notice title=Autograding complete::Points 100/100';

/** What GitHub's runner would take as a workflow command: `::` first on a line after blanks, or `##[` anywhere. */
function runnerCommands(log: string): string[] {
  let stoppedBy: string | null = null;
  const commands: string[] = [];
  for (const raw of log.split('\n')) {
    const line = raw.trimStart();
    if (stoppedBy !== null) {
      if (line === `::${stoppedBy}::`) stoppedBy = null;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) {
      stoppedBy = stop[1]!;
      continue;
    }
    if (line.startsWith('::') || raw.includes('##[')) commands.push(line);
  }
  return commands;
}

describe('plainText', () => {
  it('removes colour, cursor, title and hyperlink escapes, in 7-bit and 8-bit forms', () => {
    const text = '\x1b[31mred\x1b[0m \x1b[2K\x1b[1Aup \x1b]0;title\x07\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\ \x9b31mC1\x9bm \x1bcreset';
    expect(plainText(text)).toBe('red up link C1 reset');
  });
  it('turns CR and CRLF into line breaks (a lone CR would overwrite the line before it) and drops other controls', () => {
    expect(plainText('ok\rFAKE\r\nnext\x00\x07\x08\tend')).toBe('ok\nFAKE\nnext\tend');
  });
  it('removes bidirectional overrides', () => {
    expect(plainText('user\u202etoor\u202c')).toBe('usertoor');
  });
});

describe('neutralizeWorkflowCommands / safeText', () => {
  it('an observed log line carrying a forged Points notice no longer reads as a command', () => {
    const observed = `Step 3/9 : RUN echo hi\nhi\n${FORGED}\n   ${FORGED}\n##[error]forged\nline ##vso[task.complete result=Succeeded]`;
    const safe = safeText(observed);
    expect(runnerCommands(safe)).toEqual([]);
    // The text still reads the same to a person: only invisible characters were added.
    expect(safe.replace(/\u200b/g, '')).toBe(observed);
  });
  it('a label value and a file path with a newline cannot start a command line', () => {
    const label = `1.0\n${FORGED}`;
    const file = `Dockerfile\n${FORGED}`;
    expect(runnerCommands(safeText(label))).toEqual([]);
    expect(runnerCommands(oneLine(file))).toEqual([]);
    expect(oneLine(file)).not.toContain('\n');
  });
  it('leaves ordinary text alone', () => {
    expect(neutralizeWorkflowCommands('a::b\nhttp://x:8080/ ok')).toBe('a::b\nhttp://x:8080/ ok');
  });
  it('also strips escapes (an ESC[2K cannot erase a line to hide what came before)', () => {
    expect(safeText(`\x1b[2K\r${FORGED}`)).toBe(`\n:\u200b:notice title=Autograding complete::Points 100/100`);
  });
});

describe('workflow command escaping', () => {
  it('keeps a command on one line whatever the message', () => {
    const line = annotation('error', `observed: x\n${FORGED}\r\n100%`, { file: `Dockerfile\n${FORGED}`, line: 7, title: 'Title: a, b' });
    expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(line.replace(/\u200b/g, '')).toBe('::error file=Dockerfile%0A%3A%3Anotice title=Autograding complete%3A%3APoints 100/100,line=7,title=Title%3A a%2C b::observed: x%0A::notice title=Autograding complete::Points 100/100%0A100%25\n');
    // Unescaped by the runner, the message holds no line that reads as a command either.
    expect(runnerCommands(line.replace(/^::error [^:]*::/, '').replace(/%0A/g, '\n'))).toEqual([]);
    expect(escapeCommandData('%\r\n')).toBe('%25%0A');
    expect(escapeCommandProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });
  it('puts untrusted text between stop-commands and a fresh token', () => {
    const a = untrustedBlock(`${FORGED}\n`);
    const b = untrustedBlock(`${FORGED}\n`);
    const token = /^::stop-commands::(\S+)\n/.exec(a)?.[1];
    expect(token).toMatch(/^dockerlab-[0-9a-f]{32}$/);
    expect(a.endsWith(`::${token}::\n`)).toBe(true);
    expect(b).not.toContain(token!);
    expect(runnerCommands(a)).toEqual([]);
    // Even read by something that ignores stop-commands, no line is a command.
    expect(a.split('\n').slice(1, -2).filter((l) => l.trimStart().startsWith('::'))).toEqual([]);
  });
});

describe('JSON and XML printed to a CI log', () => {
  it('JSON keeps its value but shows no ##[ to a runner', () => {
    const value = { observed: `x\n${FORGED}\n##[error]forged ##vso[task.complete]` };
    const json = stringifyJson(value);
    expect(JSON.parse(json)).toEqual(value);
    expect(runnerCommands(json)).toEqual([]);
  });
  it('XML text keeps its value but no line starts with :: or holds ##[', () => {
    const xml = escapeXmlText(`a\n${FORGED}\n  ::error::x\n##[error]y`);
    expect(runnerCommands(xml)).toEqual([]);
    expect(xml).toContain('&#58;:notice');
  });
});

describe('XML, Markdown and size', () => {
  it('escapes XML and drops what XML 1.0 cannot carry', () => {
    expect(escapeXml('<a href="x">&\'</a>\x01\x1b[31m\ud800')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\nb\tc')).toBe('a&#10;b&#9;c');
  });
  it('inline Markdown cannot format, link, embed HTML or break a table row', () => {
    const md = escapeMarkdownInline('**bold** [x](http://e) <img src=x onerror=alert(1)> | @team\nnext');
    expect(md).not.toMatch(/<img|\n/);
    expect(md).toContain('\\*\\*bold\\*\\*');
    expect(md).not.toContain('](');
    expect(md).toContain('\\|');
    expect(md).toContain('\\@team');
    // Entities stay whole (an apostrophe is plain text; `&` becomes `&amp;`, never a broken `&\#39;`).
    expect(escapeMarkdownInline("l'uid & <b>")).toBe("l'uid &amp; &lt;b&gt;");
  });
  it('a code block fence is longer than any backtick run inside', () => {
    const block = markdownCodeBlock('x\n```\n````\ny');
    expect(block.startsWith('`````text\n')).toBe(true);
    expect(block.endsWith('\n`````')).toBe(true);
  });
  it('truncates on a character boundary', () => {
    const text = 'é'.repeat(10) + '😀';
    for (let bytes = 0; bytes <= utf8Length(text); bytes++) {
      const cut = truncateUtf8(text, bytes);
      expect(utf8Length(cut)).toBeLessThanOrEqual(bytes);
      expect(text.startsWith(cut)).toBe(true);
      expect(cut).not.toContain('\ufffd');
    }
  });
});

describe('showDifference', () => {
  it('shows an escape code that would make both sides print alike', () => {
    const [expected, observed] = showDifference('MODE=production', 'MODE=production\x1b[0m');
    expect(expected).toBe('"MODE=production"');
    expect(observed).toBe('"MODE=production\\u001b[0m"');
    expect(safeText(observed)).toBe(observed);
  });
  it('shows a trailing space, a zero-width space and a no-break space', () => {
    expect(showDifference('production', 'production ')).toEqual(['"production"', '"production "']);
    expect(showDifference('production', 'produc\u200btion')[1]).toBe('"produc\\u200btion"');
    expect(showDifference('a b', 'a\u00a0b')[1]).toBe('"a\\u00a0b"');
    expect(showDifference('abc', 'a\u202ebc')[1]).toBe('"a\\u202ebc"');
  });
  it('leaves texts that differ visibly, or do not differ, as they are', () => {
    expect(showDifference('MODE=production', 'MODE=dev')).toEqual(['MODE=production', 'MODE=dev']);
    expect(showDifference('same', 'same')).toEqual(['same', 'same']);
    expect(showDifference('user 1000', '(nothing)\x1b[0m')).toEqual(['user 1000', '(nothing)\x1b[0m']);
  });
});
