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
