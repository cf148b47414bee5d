import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { LabError } from "../util/errors.js";
import { formatIp, parseCidr, parseIp } from "./subnet.js";
import { MAX_HOSTS } from "./size.js";

/** One host as the compose file describes it. */
export interface HostSpec {
  service: string; // docker1
  containerName: string;
  hostname: string; // docker1.htsec.com
  address: string; // 192.168.10.201
  image: string;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  deviceCgroupRules: string[];
  /** host-path binds, e.g. /sys/fs/cgroup:/sys/fs/cgroup:rw */
  binds: string[];
  /** named volumes: [compose volume name, mount point] */
  volumes: Array<[string, string]>;
  privileged: boolean;
}

export interface LabTopology {
  networkName: string; // compose's name, e.g. labnet
  subnet: string;
  hosts: HostSpec[];
  volumeNames: string[];
}

const serviceSchema = z.object({
  image: z.string(),
  container_name: z.string().optional(),
  hostname: z.string(),
  cap_add: z.array(z.string()).default([]),
  cap_drop: z.array(z.string()).default([]),
  security_opt: z.array(z.string()).default([]),
  device_cgroup_rules: z.array(z.string()).default([]),
  privileged: z.boolean().default(false),
  networks: z.record(z.object({ ipv4_address: z.string().ip({ version: "v4" }) })),
  volumes: z.array(z.string()).default([]),
});

const composeSchema = z.object({
  services: z.record(serviceSchema),
  networks: z.record(
    z.object({
      driver: z.literal("bridge").default("bridge"),
      ipam: z.object({ config: z.array(z.object({ subnet: z.string() })).min(1) }),
    }),
  ),
  volumes: z.record(z.null().or(z.object({}).passthrough())).default({}),
});

/** Compose-style ${VAR:-default} interpolation, the only form the lab's file uses. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def?: string) => {
    const v = env[name];
    return v !== undefined && v !== "" ? v : (def ?? "");
  });
}

export function parseCompose(text: string, file: string, env: Record<string, string | undefined> = process.env): LabTopology {
  const doc = parseDocument(interpolate(text, env), { merge: true });
  if (doc.errors.length > 0) {
    throw new LabError(`${file}: not valid YAML: ${doc.errors[0]!.message}`);
  }
  const parsed = composeSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LabError(`${file}: ${issue.path.join(".")}: ${issue.message}`);
  }
  const { services, networks } = parsed.data;
  const netNames = Object.keys(networks);
  if (netNames.length !== 1) throw new LabError(`${file}: the lab expects exactly one network, found ${netNames.length}`);
  const networkName = netNames[0]!;
  const subnet = networks[networkName]!.ipam.config[0]!.subnet;
  const hosts: HostSpec[] = Object.entries(services).map(([service, s]) => {
    const net = s.networks[networkName];
    if (!net) throw new LabError(`${file}: services.${service} is not on network ${networkName}`);
    const binds: string[] = [];
    const volumes: Array<[string, string]> = [];
    for (const v of s.volumes) {
      const [src, dest] = v.split(":");
      if (!src || !dest) throw new LabError(`${file}: services.${service}.volumes: cannot read "${v}"`);
      if (src.startsWith("/")) binds.push(v);
      else volumes.push([src, dest]);
    }
    return {
      service,
      containerName: s.container_name ?? service,
      hostname: s.hostname,
      address: net.ipv4_address,
      image: s.image,
      capAdd: s.cap_add,
      capDrop: s.cap_drop,
      securityOpt: s.security_opt,
      deviceCgroupRules: s.device_cgroup_rules,
      binds,
      volumes,
      privileged: s.privileged,
    };
  });
  return { networkName, subnet, hosts, volumeNames: Object.keys(parsed.data.volumes) };
}

export function readCompose(file: string): LabTopology {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new LabError(`cannot read the hosts file ${file}: ${(err as Error).message}`);
  }
  return parseCompose(text, file);
}

/**
 * The topology for a lab of `n` hosts. Fewer than the file's: its first n. More: the file's hosts,
 * then docker4, docker5... made the way the file makes its own (the last one's name, hostname,
 * volumes and address counted on; capabilities and binds the same), as docker-compose.dind.yml says.
 * Refused when n is outside 1..MAX_HOSTS or the addresses would not fit below the subnet's broadcast.
 */
export function topologyForSize(base: LabTopology, n: number): LabTopology {
  if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS) throw new LabError(`--size ${n} is not allowed: a lab has 1 to ${MAX_HOSTS} hosts`);
  if (n <= base.hosts.length) {
    const hosts = base.hosts.slice(0, n);
    const used = new Set(hosts.flatMap((h) => h.volumes.map(([v]) => v)));
    const ownedByHost = new Set(base.hosts.flatMap((h) => h.volumes.map(([v]) => v)));
    return { ...base, hosts, volumeNames: base.volumeNames.filter((v) => used.has(v) || !ownedByHost.has(v)) };
  }
  const last = base.hosts.at(-1);
  const m = last?.service.match(/^(.*?)(\d+)$/);
  if (!last || !m) throw new LabError(`the hosts file's last host "${last?.service ?? "(none)"}" does not end in a number: cannot name host ${base.hosts.length + 1}`);
  const [, prefix, digits] = m as unknown as [string, string, string];
  const lastNumber = Number(digits);
  const hosts = [...base.hosts];
  const volumeNames = [...base.volumeNames];
  for (let i = base.hosts.length; i < n; i++) {
    const step = i - (base.hosts.length - 1);
    const service = `${prefix}${lastNumber + step}`;
    const rename = (s: string) => s.split(last.service).join(service);
    const volumes = last.volumes.map(([v, dest]): [string, string] => [rename(v), dest]);
    hosts.push({
      ...last,
      service,
      containerName: rename(last.containerName),
      hostname: rename(last.hostname),
      address: formatIp(parseIp(last.address) + step),
      capAdd: [...last.capAdd],
      capDrop: [...last.capDrop],
      securityOpt: [...last.securityOpt],
      deviceCgroupRules: [...last.deviceCgroupRules],
      binds: [...last.binds],
      volumes,
    });
    for (const [v] of volumes) if (!volumeNames.includes(v)) volumeNames.push(v);
  }
  const topology = { ...base, hosts, volumeNames };
  const tooSmall = hostsFitProblem(topology, base.subnet);
  if (tooSmall) throw new LabError(tooSmall);
  return topology;
}

/**
 * Why the topology's hosts do not fit in `subnet` (a lab's subnet keeps each host's offset from the
 * file's, as rebase does), or undefined: every address must be above the network address and below
 * the broadcast address.
 */
export function hostsFitProblem(t: LabTopology, subnet: string): string | undefined {
  const from = parseCidr(t.subnet);
  const to = parseCidr(subnet);
  const size = 2 ** (32 - to.bits);
  const offsets = t.hosts.map((h) => parseIp(h.address) - from.base);
  const highest = Math.max(...offsets);
  if (highest <= size - 2 && Math.min(...offsets) >= 1) return undefined;
  const worst = t.hosts[offsets.indexOf(highest)]!;
  const fit = offsets.filter((o) => o >= 1 && o <= size - 2).length;
  return `subnet ${subnet} is too small for ${t.hosts.length} hosts from ${formatIp(to.base + Math.min(...offsets))}: ${worst.service} would be ${formatIp(to.base + highest)}, the last usable address is ${formatIp(to.base + size - 2)} (at most ${fit} hosts)`;
}
