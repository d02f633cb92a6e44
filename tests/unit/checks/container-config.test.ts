import { containerEnv, containerLabel, containerMemory, containerRestartPolicy } from '../../../grader/src/checks/container-config.js';
import { testCheckKind } from '../../helpers/check-tester.js';

const site = (state: Record<string, unknown>) => ({ named: { site: { state } } });

testCheckKind(containerEnv as never, {
  passing: [
    { name: 'the variable with its value', check: { container: 'site', name: 'APP_ENV', value: 'dev' }, world: site({ env: { APP_ENV: 'dev', PATH: '/bin' } }), observed: 'APP_ENV=dev' },
    { name: 'any value when none is asked', check: { container: 'site', name: 'APP_ENV' }, world: site({ env: { APP_ENV: 'production' } }) },
    { name: "the workload's own container", check: { name: 'PORT', value: '8080' }, world: { container: { state: { env: { PORT: '8080' } } } } },
  ],
  failing: [
    { name: 'absent, listing what is set', check: { container: 'site', name: 'APP_ENV', value: 'dev' }, world: site({ env: { NGINX_VERSION: '1.27', PATH: '/bin' } }), observed: /APP_ENV is not set \(variables: NGINX_VERSION\)/ },
    { name: 'a value with a stray space shows it', check: { container: 'site', name: 'APP_ENV', value: 'dev' }, world: site({ env: { APP_ENV: ' dev' } }), observed: 'APP_ENV= dev' },
    { name: 'quotes kept in the value', check: { container: 'site', name: 'APP_ENV', value: 'dev' }, world: site({ env: { APP_ENV: '"dev"' } }), observed: 'APP_ENV=\\"dev\\"' },
    { name: 'no such container', check: { container: 'site', name: 'APP_ENV' }, world: {}, observed: 'no container named "site" exists' },
    { name: 'French', lang: 'fr', check: { container: 'site', name: 'APP_ENV', value: 'dev' }, world: site({ env: {} }), observed: "APP_ENV n'est pas défini (variables : (aucun))" },
  ],
});

testCheckKind(containerMemory as never, {
  passing: [
    { name: '-m 256m', check: { container: 'site', mebibytes: 256 }, world: site({ memoryBytes: 256 * 1024 * 1024 }), observed: '256 MiB' },
  ],
  failing: [
    { name: 'no limit', check: { container: 'site', mebibytes: 256 }, world: site({ memoryBytes: 0 }), observed: 'no memory limit' },
    { name: '-m 256k instead of 256m: the bytes are shown', check: { container: 'site', mebibytes: 256 }, world: site({ memoryBytes: 262144 }), observed: '0.25 MiB' },
    { name: 'a limit that is not a whole number of MiB', check: { container: 'site', mebibytes: 256 }, world: site({ memoryBytes: 256000000 }), observed: '256000000 bytes (244.14 MiB)' },
    { name: '-m 512m', check: { container: 'site', mebibytes: 256 }, world: site({ memoryBytes: 512 * 1024 * 1024 }), observed: '512 MiB' },
    { name: 'French', lang: 'fr', check: { container: 'site', mebibytes: 256 }, world: site({ memoryBytes: 0 }), observed: 'aucune limite mémoire' },
  ],
  invalid: [{ name: 'a limit of 0 MiB', check: { container: 'site', mebibytes: 0 }, problem: /must be >= 4/ }],
});

testCheckKind(containerRestartPolicy as never, {
  passing: [{ name: 'unless-stopped', check: { container: 'site', policy: 'unless-stopped' }, world: site({ restartPolicy: 'unless-stopped' }) }],
  failing: [
    { name: 'always instead', check: { container: 'site', policy: 'unless-stopped' }, world: site({ restartPolicy: 'always' }), observed: '--restart always' },
    { name: 'none set reads as no', check: { container: 'site', policy: 'unless-stopped' }, world: site({ restartPolicy: '' }), observed: '--restart no' },
  ],
  invalid: [{ name: 'an unknown policy', check: { container: 'site', policy: 'sometimes' }, problem: /policy/ }],
});

testCheckKind(containerLabel as never, {
  passing: [
    { name: 'the label with its value', check: { container: 'site', name: 'cours', value: 'docker' }, world: site({ labels: { cours: 'docker', 'dockerlab.run': 'x' } }), observed: 'cours=docker' },
    { name: 'any value', check: { container: 'site', name: 'cours' }, world: site({ labels: { cours: 'k8s' } }) },
  ],
  failing: [
    { name: 'absent; the grader\'s own labels are not listed', check: { container: 'site', name: 'cours', value: 'docker' }, world: site({ labels: { 'dockerlab.run': 'x', maintainer: 'nginx' } }), observed: 'labels: maintainer=nginx' },
    { name: 'another value', check: { container: 'site', name: 'cours', value: 'docker' }, world: site({ labels: { cours: 'Docker' } }), observed: 'cours=Docker' },
    { name: 'none at all, in French', lang: 'fr', check: { container: 'site', name: 'cours' }, world: site({ labels: {} }), observed: 'labels : (aucun)', expected: 'label cours (valeur libre)' },
  ],
});
