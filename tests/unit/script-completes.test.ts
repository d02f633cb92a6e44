import { whyStillRunning } from '../../grader/src/checks/script-completes.js';

const say = (id: string, data?: Record<string, unknown>) => `${id}${data?.command ? `:${String(data.command)}` : ''}`;

describe('whyStillRunning names what kept the script waiting', () => {
  it.each([
    [['docker run -d --name a nginx', 'docker run --name b -p 8080:80 nginx'], 'forgotDetach:docker run --name b -p 8080:80 nginx'],
    [['docker container run --name b nginx'], 'forgotDetach:docker container run --name b nginx'],
    [['docker run -dit --name a nginx', 'docker logs -f a'], 'lastCommand:docker logs -f a'],
    [['docker run --detach --name a nginx'], 'lastCommand:docker run --detach --name a nginx'],
    [[], 'notDocker'],
  ])('%j → %s', (calls, expected) => {
    expect(whyStillRunning(calls, say)).toBe(expected);
  });
});

describe('whyStillRunning with the line bash was on', () => {
  const sayAll = (id: string, data?: Record<string, unknown>) => `${id}${data ? `:${JSON.stringify(data)}` : ''}`;
  it('names a line that is not a docker command, whatever docker ran before', () => {
    expect(whyStillRunning(['docker run -d --name a nginx'], sayAll, { line: 3, text: 'sleep 90', script: 'commands.sh' })).toBe(
      'notDockerLine:{"line":3,"text":"sleep 90","script":"commands.sh"}',
    );
    expect(whyStillRunning([], sayAll, { line: 7, text: 'wait', script: 'commands.sh' })).toMatch(/^notDockerLine:.*"wait"/);
  });
  it.each(['docker run --name b nginx', 'sudo docker run --name b nginx', '/usr/bin/docker run --name b nginx', 'x=$(docker run --name b nginx)', 'docker \\'])(
    'keeps the docker explanation for a docker line (%s) and adds the line',
    (text) => {
      expect(whyStillRunning(['docker run --name b nginx'], sayAll, { line: 4, text, script: 'commands.sh' })).toBe(
        'forgotDetach:{"command":"docker run --name b nginx"} atLine:{"line":4,"text":' + JSON.stringify(text) + ',"script":"commands.sh"}',
      );
    },
  );
  it('does not take a word that merely contains docker for a docker command', () => {
    expect(whyStillRunning(['docker ps'], sayAll, { line: 2, text: 'sleep 5 # mydockerfile', script: 'c.sh' })).toMatch(/^notDockerLine/);
    expect(whyStillRunning(['docker ps'], sayAll, { line: 2, text: './dockerize.sh', script: 'c.sh' })).toMatch(/^notDockerLine/);
  });
});
