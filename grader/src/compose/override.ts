import { parse } from 'yaml';

/** The parts of a resolved compose model (`compose config`, either version) the grader reads. */
interface ComposeModel {
  services?: Record<string, ServiceModel | null>;
  networks?: Record<string, { external?: unknown } | null>;
  volumes?: Record<string, { external?: unknown } | null>;
}
interface ServiceModel {
  build?: unknown;
  networks?: unknown;
  network_mode?: string;
  mem_limit?: unknown;
  memswap_limit?: unknown;
  cpus?: unknown;
  pids_limit?: unknown;
  logging?: unknown;
  deploy?: { resources?: { limits?: Record<string, unknown> } };
}

/** The model compose printed with `config`; null when it is not a mapping. */
export function parseComposeModel(configOutput: string): ComposeModel | null {
  try {
    // Warnings may precede the model (v2 prints them on stderr, merged here).
    const start = configOutput.search(/^(name|services|networks|volumes|version|secrets|configs):/m);
    const model = parse(start >= 0 ? configOutput.slice(start) : configOutput) as unknown;
    return model && typeof model === 'object' && !Array.isArray(model) ? (model as ComposeModel) : null;
  } catch {
    return null;
  }
}

export function serviceNames(model: ComposeModel | null): string[] {
  return Object.keys(model?.services ?? {}).sort();
}

/**
 * On the machine's own engine (`--sandbox off`), compose creates containers,
 * networks, volumes and images through the API, where the grader's docker shim
 * cannot add its labels and limits: an override file given after the student's
 * (`-f theirs -f this`) does. Labels go on every service, built image, network and
 * volume the project creates (not on `external` ones, which compose refuses to
 * label); limits and log rotation only where the student set none, so their own
 * choices win as with the script shim.
 */
export function hostOverride(model: ComposeModel, labels: Record<string, string>, limits: { memoryMiB: number; cpus: number; pids: number }): Record<string, unknown> {
  const services: Record<string, Record<string, unknown>> = {};
  let usesDefaultNetwork = false;
  for (const [name, service] of Object.entries(model.services ?? {})) {
    const s = service ?? {};
    const own: Record<string, unknown> = { labels };
    const deployLimits = s.deploy?.resources?.limits ?? {};
    if (s.mem_limit === undefined && deployLimits.memory === undefined) own.mem_limit = `${limits.memoryMiB}m`;
    if (s.cpus === undefined && deployLimits.cpus === undefined) own.cpus = limits.cpus;
    if (s.pids_limit === undefined && deployLimits.pids === undefined) own.pids_limit = limits.pids;
    if (s.logging === undefined) own.logging = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '1' } };
    if (s.build !== undefined && s.build !== null) own.build = { labels };
    services[name] = own;
    if (s.network_mode === undefined && (s.networks === undefined || s.networks === null || hasDefault(s.networks))) usesDefaultNetwork = true;
  }
  const owned = (entries: Record<string, { external?: unknown } | null> | undefined) =>
    Object.fromEntries(Object.entries(entries ?? {}).filter(([, v]) => !isExternal(v)).map(([k]) => [k, { labels }]));
  const networks = owned(model.networks);
  if (usesDefaultNetwork && !isExternal(model.networks?.default ?? null)) networks.default = { labels };
  const volumes = owned(model.volumes);
  return {
    services,
    ...(Object.keys(networks).length ? { networks } : {}),
    ...(Object.keys(volumes).length ? { volumes } : {}),
  };
}

function hasDefault(networks: unknown): boolean {
  if (Array.isArray(networks)) return networks.includes('default');
  return typeof networks === 'object' && networks !== null && 'default' in networks;
}

function isExternal(entry: { external?: unknown } | null | undefined): boolean {
  const external = entry?.external;
  return external === true || (typeof external === 'object' && external !== null);
}
