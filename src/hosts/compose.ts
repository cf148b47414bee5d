import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { LabError } from "../util/errors.js";

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
