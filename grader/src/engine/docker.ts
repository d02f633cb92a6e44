import { existsSync } from 'node:fs';
import os from 'node:os';
import { NoEngineError } from './errors.js';
import type { Runtime } from './runtime.js';

/** Fails with a NoEngineError that says how to start an engine for this user's situation. */
export async function requireEngine(runtime: Runtime, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      runtime.docker.ping(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timed out')), timeoutMs); }),
    ]);
  } catch (error) {
    throw new NoEngineError(howToStartEngine(error, runtime.cliEnv.DOCKER_HOST));
  } finally {
    clearTimeout(timer);
  }
}

export function howToStartEngine(error: unknown, dockerHost: string | undefined): string {
  const reason = error instanceof Error ? error.message : String(error);
  const lines = [`No Docker engine answers${dockerHost ? ` at DOCKER_HOST=${dockerHost}` : ''} (${reason}).`];
  const socket = '/var/run/docker.sock';
  if (process.platform === 'darwin' || process.platform === 'win32') {
    lines.push('Start Docker Desktop, wait until it says "running", then try again.');
  } else if (/EACCES/.test(reason)) {
    lines.push(`You may not use ${socket}: add yourself to the docker group (sudo usermod -aG docker ${os.userInfo().username}), log out and in, then try again.`);
  } else if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    lines.push('This is a Debian-like machine and you are root: `npm run provision` installs Debian\'s docker.io, starts dockerd and prepares the base images.');
  } else if (existsSync('/usr/bin/systemctl') || existsSync('/bin/systemctl')) {
    lines.push('Start the engine: sudo systemctl start docker (install Docker Engine first if `dockerd` is missing).');
  } else {
    lines.push('Install Docker Engine and start dockerd, or point DOCKER_HOST at a running engine.');
  }
  lines.push('Check with: docker info');
  return lines.join('\n');
}
