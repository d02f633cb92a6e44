import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { ownerIsDead } from '../engine/index.js';

/**
 * Host firewall rules for one sandbox's network.
 *
 * The sandbox is a container on a bridge network of the host engine; like any
 * container it reaches whatever the host serves on all its addresses (through its
 * gateway, or any other address of the host), ports other containers publish on
 * the host, and on cloud runners the link-local metadata endpoint (credentials).
 * Loopback-only services are out of its reach already. The rules, tagged with the
 * run and its owner so the dead-run sweep can remove those of killed graders:
 * - INPUT: from the network's bridge, only replies to connections the host opened
 *   (the grader reaching ports published inside the sandbox) reach the host;
 * - DOCKER-USER (Docker's place for rules on forwarded traffic): nothing from the
 *   bridge to the metadata endpoint 169.254.169.254 (AWS, Azure, GCP), nor to ports
 *   the host publishes (DNAT); the rest of link-local stays open, as AWS's DNS
 *   server (169.254.169.253) lives there;
 * - ip6tables INPUT likewise, when there is one: a rootful sandbox could re-enable
 *   IPv6 in its network namespace and reach the host's `::` listeners by link-local.
 * Matched by the bridge interface, not the subnet: a container can forge its
 * source address, not the interface its packets arrive on. Outbound traffic
 * through NAT (apt-get from Debian's mirror in a build) is left as it is.
 *
 * Needs root on the engine's own Linux host and the iptables that Docker uses
 * (legacy or nft: the one with a DOCKER-USER chain). Elsewhere the sandbox opens
 * without them and says why.
 */

export type SandboxFirewall =
  | { applied: true; runId: string; bridge: string; subnet: string | null; tag: string; rules: string[] }
  | { applied: false; reason: string };

export interface FirewallTools {
  /** The iptables command whose tables Docker manages (`iptables`, `iptables-nft` or `iptables-legacy`). */
  iptables: string;
  /** Its IPv6 twin, when it works here. */
  ip6tables: string | null;
}

const TAG_PREFIX = 'dockerlab.run=';
const TAG = /^dockerlab\.run=([A-Za-z0-9_.-]+);dockerlab\.owner=(\S+)$/;
/** iptables' limit for a comment. */
const MAX_COMMENT = 255;
const SEARCH_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** A rule as given to `iptables -I/-D`: chain and match, without the command. */
export interface FirewallRule {
  family: 4 | 6;
  chain: 'INPUT' | 'DOCKER-USER';
  args: string[];
}

export function firewallTag(runId: string, owner: string): string {
  return `${TAG_PREFIX}${runId};dockerlab.owner=${owner}`;
}

export function parseFirewallTag(comment: string): { runId: string; owner: string } | null {
  const m = TAG.exec(comment);
  return m ? { runId: m[1]!, owner: m[2]! } : null;
}

/** The rules of one sandbox network. */
export function sandboxRules(bridge: string, tag: string, withIpv6: boolean): FirewallRule[] {
  const comment = ['-m', 'comment', '--comment', tag];
  const notReplies = ['-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED'];
  const rules: FirewallRule[] = [
    { family: 4, chain: 'INPUT', args: ['-i', bridge, ...notReplies, ...comment, '-j', 'DROP'] },
    { family: 4, chain: 'DOCKER-USER', args: ['-i', bridge, '-d', '169.254.169.254/32', ...comment, '-j', 'DROP'] },
    { family: 4, chain: 'DOCKER-USER', args: ['-i', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', ...comment, '-j', 'DROP'] },
  ];
  if (withIpv6) rules.push({ family: 6, chain: 'INPUT', args: ['-i', bridge, ...notReplies, ...comment, '-j', 'DROP'] });
  return rules;
}

/**
 * Splits a line of `iptables -S` into its arguments (it double-quotes a comment
 * and escapes `"` and `\` inside): `-A CHAIN …` → { chain, args }.
 */
export function parseRuleLine(line: string): { chain: string; args: string[] } | null {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    if (line[i] === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) word += line[i] === '\\' && i + 1 < line.length ? line[++i] : line[i];
      i++;
    } else {
      for (; i < line.length && line[i] !== ' '; i++) word += line[i];
    }
    words.push(word);
  }
  if (words[0] !== '-A' || !words[1]) return null;
  return { chain: words[1], args: words.slice(2) };
}

function argumentOf(args: string[], option: string): string | null {
  const at = args.indexOf(option);
  return at >= 0 ? (args[at + 1] ?? null) : null;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function findCommand(name: string): string | null {
  const dirs = [...SEARCH_DIRS, ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not there.
    }
  }
  return null;
}

/** The last line of iptables' stderr that is not its note about the other backend's tables. */
function errorOf(result: Run): string {
  const lines = result.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('# Warning:'));
  return lines[lines.length - 1] ?? `exit code ${result.code}`;
}

/**
 * The iptables command whose tables Docker manages here, or why the grader cannot
 * add rules: not Linux, not root, no iptables, or no DOCKER-USER chain (Docker
 * started with iptables=false, or a backend the grader does not know).
 */
export async function findFirewallTools(): Promise<FirewallTools | { reason: string }> {
  if (process.platform !== 'linux') return { reason: `firewall rules for sandboxes need Linux (this machine runs ${process.platform})` };
  if (process.getuid?.() !== 0) return { reason: 'the grader does not run as root, so it cannot add firewall rules (iptables) for the sandbox network' };
  let found = false;
  for (const flavour of ['', '-nft', '-legacy']) {
    const iptables = findCommand(`iptables${flavour}`);
    if (!iptables) continue;
    found = true;
    if ((await run(iptables, ['-w', '5', '-S', 'DOCKER-USER'])).code !== 0) continue;
    const ip6 = findCommand(`ip6tables${flavour}`);
    const ip6tables = ip6 && (await run(ip6, ['-w', '5', '-S', 'INPUT'])).code === 0 ? ip6 : null;
    return { iptables, ip6tables };
  }
  return {
    reason: found
      ? "Docker manages no iptables rules that the grader can find (no DOCKER-USER chain in iptables, iptables-nft or iptables-legacy: an engine started with iptables=false?)"
      : 'there is no iptables command on this machine (Debian: apt-get install iptables)',
  };
}

/**
 * Adds the rules of a sandbox network just created (before any container joins
 * it). All or nothing: when one cannot be added, those added are removed and the
 * reason is returned.
 */
export async function applySandboxFirewall(network: { id: string; bridgeName?: string | undefined; subnet: string | null }, runId: string, owner: string): Promise<SandboxFirewall> {
  const tools = await findFirewallTools();
  if ('reason' in tools) return { applied: false, reason: tools.reason };
  const bridge = network.bridgeName || `br-${network.id.slice(0, 12)}`;
  if (!existsSync(`/sys/class/net/${bridge}`)) {
    return { applied: false, reason: `the sandbox network's bridge ${bridge} is not an interface of this machine: the engine runs in another network namespace (rootless Docker, a VM)` };
  }
  const tag = firewallTag(runId, owner);
  if (tag.length > MAX_COMMENT) return { applied: false, reason: `the run id and owner make a rule comment longer than ${MAX_COMMENT} characters` };
  const added: FirewallRule[] = [];
  for (const rule of sandboxRules(bridge, tag, tools.ip6tables !== null)) {
    const command = rule.family === 6 ? tools.ip6tables! : tools.iptables;
    const result = await run(command, ['-w', '5', '-I', rule.chain, '1', ...rule.args]);
    if (result.code !== 0) {
      for (const done of added) await run(done.family === 6 ? tools.ip6tables! : tools.iptables, ['-w', '5', '-D', done.chain, ...done.args]);
      return { applied: false, reason: `${path.basename(command)} -I ${rule.chain} failed: ${errorOf(result)}` };
    }
    added.push(rule);
  }
  return { applied: true, runId, bridge, subnet: network.subnet, tag, rules: added.map((r) => `${r.family === 6 ? 'ip6tables' : 'iptables'} -A ${r.chain} ${r.args.join(' ')}`) };
}

export interface FirewallRemoval {
  removed: string[];
  problems: string[];
}

/** What names a sandbox rule: its tag, and the bridge it matches (a run may have had two networks: its store's seeder, its sandbox). */
export interface RuleOwner {
  runId: string;
  owner: string;
  bridge: string | null;
}

/**
 * Removes the sandbox rules `which` accepts (those of one network, of dead
 * owners, or all of the grader's), and no other rule. Nothing to do, and no
 * error, where the grader cannot manage rules.
 */
export async function removeSandboxFirewallRules(which: (rule: RuleOwner) => boolean): Promise<FirewallRemoval> {
  const result: FirewallRemoval = { removed: [], problems: [] };
  const tools = await findFirewallTools();
  if ('reason' in tools) return result;
  const lists: [string, 'INPUT' | 'DOCKER-USER'][] = [
    [tools.iptables, 'INPUT'],
    [tools.iptables, 'DOCKER-USER'],
    ...(tools.ip6tables ? ([[tools.ip6tables, 'INPUT']] as [string, 'INPUT'][]) : []),
  ];
  for (const [command, chain] of lists) {
    const listed = await run(command, ['-w', '5', '-S', chain]);
    if (listed.code !== 0) continue;
    for (const line of listed.stdout.split('\n')) {
      const rule = parseRuleLine(line.trim());
      const comment = rule ? argumentOf(rule.args, '--comment') : null;
      const tag = comment ? parseFirewallTag(comment) : null;
      if (!rule || !tag || !which({ ...tag, bridge: argumentOf(rule.args, '-i') })) continue;
      const deleted = await run(command, ['-w', '5', '-D', rule.chain, ...rule.args]);
      // Gone meanwhile (another sweep): not a problem.
      if (deleted.code === 0) result.removed.push(`${path.basename(command)} ${line.trim()}`);
      else if (!/does a matching rule exist|Bad rule|No chain/i.test(deleted.stderr)) result.problems.push(`firewall rule "${line.trim()}": ${errorOf(deleted)}`);
    }
  }
  return result;
}

/**
 * The rules of sandboxes whose grader died (kill -9), or whose network is gone
 * (removed by `--cleanup --all`, or by the sweep of a dead run): swept with the
 * rest of their runs.
 */
export function sweepDeadFirewallRules(isDead: (owner: string) => boolean = ownerIsDead): Promise<FirewallRemoval> {
  return removeSandboxFirewallRules((rule) => isDead(rule.owner) || rule.bridge === null || !existsSync(`/sys/class/net/${rule.bridge}`));
}
