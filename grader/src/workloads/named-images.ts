import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The images a submission may use that its lab does not list: every word of its
 * text files (commands.sh, compose files, Dockerfiles, whatever else the script
 * reads) that reads as an image reference with a tag (`python:3.11-slim`,
 * `docker.io/library/redis:7`, `FROM httpd:2.4`), plus the bare names of the
 * repositories the grader can always provide where an image goes (`image: redis`,
 * `FROM nginx`, the first word after `docker run`'s options → `…:latest`).
 *
 * This only decides what to make available in the sandbox beforehand; nothing
 * is graded from it. A word that is not an image (a `host:port`, a student's own
 * tag) costs one failed lookup and is left out; an image named in a way no text
 * shows (`docker run "$IMG"`) gets the grader's usual "could not get" message.
 */
export function imagesNamedIn(dir: string, knownRepositories: readonly string[], limits = { files: 200, bytes: 256 * 1024 }): string[] {
  const found = new Set<string>();
  const known = new Set(knownRepositories);
  let files = 0;
  const visit = (current: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(current);
    } catch {
      return;
    }
    for (const entry of entries.sort()) {
      if (files >= limits.files) return;
      if (entry === '.git' || entry === 'node_modules' || entry === '__pycache__') continue;
      const full = path.join(current, entry);
      let stat;
      try {
        stat = statSync(full);
      } catch {
        continue;
      }
      if (stat.isDirectory()) {
        if (depth < 4) visit(full, depth + 1);
        continue;
      }
      if (!stat.isFile() || stat.size > limits.bytes) continue;
      files++;
      const text = readFileSync(full);
      if (text.includes(0)) continue;
      for (const ref of imagesInText(text.toString('utf8'), known)) found.add(ref);
    }
  };
  visit(dir, 0);
  return [...found].sort();
}

// A reference: [registry/][namespace/]repository:tag, lower-case path components (Docker's grammar, simplified).
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`(?<![\\w./:@$-])((?:[a-z0-9.-]+(?::\\d+)?/)?(?:${COMPONENT}/)*${COMPONENT}):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(?![\\w./:@-])`, 'g');
const BARE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** `docker run|create` options that take a value as the next word (the others are flags). */
const WITH_VALUE = new Set(
  ('-e --env --env-file -p --publish -v --volume --mount -m --memory --memory-reservation --memory-swap -l --label --label-file -w --workdir -u --user ' +
    '-h --hostname --name --network --net --network-alias --restart --entrypoint --cpus --cpu-shares --cpuset-cpus -c --add-host --log-driver --log-opt ' +
    '--health-cmd --health-interval --health-retries --health-timeout --health-start-period --pids-limit --platform --expose --ulimit --device ' +
    '--cap-add --cap-drop --security-opt --tmpfs --ip --dns --link --stop-signal --stop-timeout --shm-size --gpus --pull --cgroupns --userns --pid --ipc ' +
    '--uts --runtime --volumes-from -a --attach --group-add --cidfile --storage-opt --sysctl --mac-address --oom-score-adj --blkio-weight --isolation').split(' '),
);

function bareImageWords(text: string): string[] {
  const words: string[] = [];
  for (const line of text.split('\n')) {
    const yaml = /^\s*-?\s*image:\s*["']?([^"'\s#]+)/.exec(line);
    if (yaml) words.push(yaml[1]!);
    const from = /^\s*FROM\s+(?:--platform=\S+\s+)?([^\s]+)/i.exec(line);
    if (from) words.push(from[1]!);
    for (const run of line.matchAll(/\bdocker\s+(?:container\s+)?(?:run|create)\s+([^;&|]*)/g)) {
      const tokens = run[1]!.trim().split(/\s+/);
      for (let i = 0; i < tokens.length; i++) {
        const token = tokens[i]!;
        if (token.startsWith('-')) {
          if (WITH_VALUE.has(token)) i++;
          continue;
        }
        words.push(token.replace(/^["']|["']$/g, ''));
        break;
      }
    }
  }
  return words.filter((w) => BARE.test(w));
}

export function imagesInText(text: string, known: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const match of text.matchAll(REFERENCE)) {
    const [, name, tag] = match as unknown as [string, string, string];
    // `localhost:5000/x:1` is the student's own registry; `host:8080` and `1.2:3` are not images.
    if (/^(localhost|127\.0\.0\.1)(:\d+)?\//.test(name)) continue;
    if (/^\d+$/.test(tag) && !known.has(name) && (/^\d/.test(name) || name.includes('.') || name === 'localhost')) continue;
    out.add(normalize(name, tag));
  }
  // A bare repository name where an image goes: `image: redis`, `FROM nginx`, `docker run … nginx`.
  for (const word of bareImageWords(text)) if (known.has(word)) out.add(normalize(word, 'latest'));
  return [...out];
}

function normalize(name: string, tag: string): string {
  const stripped = name.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  return `${stripped}:${tag}`;
}
