import { execInContainer, processUid } from '../../../grader/src/checks/exec.js';
import { logsContain } from '../../../grader/src/checks/logs-contain.js';
import { scriptCompletes } from '../../../grader/src/checks/script-completes.js';
import { EXITED, testCheckKind } from '../../helpers/check-tester.js';

testCheckKind(execInContainer as never, {
  passing: [
    { name: 'nginx -t', check: { command: ['nginx', '-t'], expect: { exitCode: 0 } }, world: { container: { exec: () => ({ exitCode: 0, stdout: 'nginx: configuration file /etc/nginx/nginx.conf test is successful' }) } } },
    { name: 'output containing a text, in a named container', check: { container: 'c', command: ['curl', '--version'], expect: { outputContains: 'curl 7' } }, world: { named: { c: { exec: () => ({ stdout: 'curl 7.88.1 (x86_64-pc-linux-gnu)' }) } } } },
  ],
  failing: [
    { name: 'the command is missing from the image', check: { command: ['curl', '--version'], expect: { exitCode: 0 } }, world: { container: { exec: () => ({ exitCode: 126, stdout: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH' }) } }, observed: /exit code 126[\s\S]*executable file not found/ },
    { name: 'the output lacks the text', check: { command: ['nginx', '-v'], expect: { outputContains: 'nginx/1.27' } }, world: { container: { exec: () => ({ stdout: 'nginx version: nginx/1.22.1' }) } }, observed: 'nginx/1.22.1' },
    { name: 'too long', check: { command: ['sleep', '100'], expect: {}, timeoutSeconds: 1 }, world: { container: { exec: () => ({ exitCode: -1, timedOut: true }) } }, observed: '(stopped: took too long)' },
    { name: 'the container exited', check: { command: ['nginx', '-t'], expect: {} }, world: { container: { state: EXITED(1), logs: 'nginx: [emerg] unexpected "}"' } }, observed: /not running[\s\S]*emerg/ },
    { name: 'in French', lang: 'fr', check: { command: ['nginx', '-t'], expect: {} }, world: { container: { exec: () => ({ exitCode: 1, stdout: '' }) } }, observed: 'code de sortie 1, sortie : ∅' },
  ],
});

testCheckKind(processUid as never, {
  passing: [{ name: 'uid 1000', check: {}, world: { container: { processes: [{ pid: '1', uid: 1000, command: 'python app.py' }] } }, observed: 'uid 1000: python app.py' }],
  failing: [
    { name: 'root', check: {}, world: { container: { processes: [{ pid: '1', uid: 0, command: 'python app.py' }] } }, observed: 'uid 0: python app.py' },
    { name: 'a root child (gosu-less entrypoint)', check: {}, world: { container: { processes: [{ pid: '1', uid: 1000, command: 'sh' }, { pid: '7', uid: 0, command: 'python' }] } } },
    { name: 'no process listed', check: {}, world: { container: { processes: [] } }, observed: '-' },
    { name: 'exited', check: {}, world: { container: { state: EXITED(0) } }, observed: 'not running' },
  ],
});

testCheckKind(logsContain as never, {
  passing: [
    { name: 'the start-up line', check: { pattern: 'Serving on port 8080' }, world: { container: { logs: 'Serving on port 8080\n' } }, observed: 'found: Serving on port 8080' },
    { name: 'after a moment (polled)', check: { pattern: 'Serving', withinSeconds: 3 }, world: { container: { logs: ['', '', 'Serving on port 8080'] } } },
    { name: 'a regular expression', check: { container: 'web', pattern: '"GET / HTTP/1\\.[01]" 200', regex: true }, world: { named: { web: { logs: '172.17.0.1 - - [x] "GET / HTTP/1.1" 200 615 "-"' } } } },
    { name: 'absent, as asked', check: { pattern: 'Traceback', absent: true }, world: { container: { logs: 'Serving on port 8080\n' } } },
  ],
  failing: [
    { name: 'empty logs (buffered output)', check: { pattern: 'Serving on port 8080', withinSeconds: 0.2 }, world: { container: { logs: '' } }, observed: '(empty log)' },
    { name: 'another port', check: { pattern: 'Serving on port 8080', withinSeconds: 0.2 }, world: { container: { logs: 'Serving on port 5000\n' } }, observed: 'Serving on port 5000' },
    { name: 'a Traceback is there', check: { pattern: 'Traceback', absent: true }, world: { container: { logs: 'start\nTraceback (most recent call last):\n  File "app.py"\n' } }, observed: 'found: Traceback (most recent call last):' },
    { name: 'the journal container was removed (--rm)', check: { container: 'journal', pattern: 'Bonjour' }, world: {}, observed: 'no container named "journal" exists' },
    { name: 'in French', lang: 'fr', check: { pattern: 'x', withinSeconds: 0.1 }, world: { container: { logs: '' } }, observed: '(journal vide)' },
  ],
  invalid: [{ name: 'a catastrophic regular expression', check: { pattern: '(x|x)*y', regex: true }, problem: /backtrack catastrophically/ }],
});

testCheckKind(scriptCompletes as never, {
  passing: [{ name: 'it ends, having run docker', check: {}, world: { script: { exitCode: 0, durationMs: 2300 } }, observed: 'finished in 2.3 s (exit code 0)' }],
  failing: [
    { name: 'a forgotten -d', check: {}, world: { script: { exitCode: null, timedOut: true, dockerCalls: ['docker run --name mon-serveur -p 8080:80 nginx'], output: '/docker-entrypoint.sh: Configuration complete' } }, observed: /did you forget -d\?[\s\S]*Configuration complete/ },
    { name: 'a docker logs -f left running', check: {}, world: { script: { exitCode: null, timedOut: true, dockerCalls: ['docker run -d --name a nginx', 'docker logs -f a'] } }, observed: 'The last docker command it started, `docker logs -f a`, never returned.' },
    { name: 'no docker command at all', check: {}, world: { script: { exitCode: 0, dockerCalls: [] } }, observed: 'without running a single docker command' },
    { name: 'a non-docker command hangs', check: {}, world: { script: { exitCode: null, timedOut: true, dockerCalls: [] } }, observed: 'A command other than docker never returned' },
    { name: 'a sleep after the docker commands, on a known line', check: {}, world: { script: { exitCode: null, timedOut: true, dockerCalls: ['docker run -d --name a nginx'], hung: { line: 5, text: 'sleep 90' } } }, observed: 'Line 5 of commands.sh, `sleep 90`, never returned (it is not a docker command).', location: { file: 'commands.sh', line: 5 } },
    { name: 'a forgotten -d on a known line', check: {}, world: { script: { exitCode: null, timedOut: true, dockerCalls: ['docker run --name a nginx'], hung: { line: 2, text: 'docker run --name a nginx' } } }, observed: 'did you forget -d? (line 2 of commands.sh)', location: { file: 'commands.sh', line: 2 } },
    { name: 'the script is missing, in French', lang: 'fr', check: {}, world: { script: { exitCode: null, timedOut: false } }, observed: 'commands.sh est introuvable dans votre rendu' },
  ],
});
