import type Docker from "dockerode";
import { join } from "node:path";
import { readCompose, topologyForSize, type HostSpec } from "../compose.js";
import { containerName, HOST_LABEL, LAB_LABEL, labLabels, networkName, volumeName, DEFAULT_LAB } from "../naming.js";
import { chooseSubnet, parseCidr, rebase } from "../subnet.js";
import { HostNode } from "./dind-host.js";
import { hostReach, HOST_REACH_VARIABLE, type HostReach } from "./engine-relay.js";
import { decideHostMode, engineNetworkInUse } from "./host-mode.js";
import type { LabHosts, PowerOp, RemovalSummary } from "../host.js";
import { waitForInnerEngine } from "./inner-engine.js";
import { LabError } from "../../util/errors.js";
import { projectRoot } from "../../util/paths.js";
import { run } from "../../util/run.js";
import type { Log } from "../../engine/engine.js";
import { engineLocality, thisMachine, type EngineLocality } from "../../engine/locality.js";
import type { EngineInfo } from "./host-mode.js";

export const DEFAULT_COMPOSE_FILE = join(projectRoot, "docker-compose.dind.yml");

export { waitForInnerEngine };

/** How host containers get the rights to run their own dockerd on this engine. */
export type HostMode = "privileged" | "capabilities";

/**
 * Subnets already taken: docker networks and, when `routes` (the engine runs on this machine and
 * it has `ip`), the machine's own routes. An engine elsewhere is judged by its docker networks
 * only: this machine's routes are not its (see engineLocality's "ip-route" facility).
 */
export async function subnetsInUse(docker: Docker, routes = true): Promise<Array<{ cidr: string; owner: string }>> {
  const used: Array<{ cidr: string; owner: string }> = [];
  for (const n of await docker.listNetworks()) {
    for (const c of n.IPAM?.Config ?? []) {
      if (c.Subnet && !c.Subnet.includes(":")) used.push({ cidr: c.Subnet, owner: `docker network ${n.Name}` });
    }
  }
  if (!routes) return used;
  // No `ip` at all (a minimal machine) throws even with allowFailure: the routes are then unknown.
  const out = await run(["ip", "-o", "-4", "route", "show"], { allowFailure: true }).then((r) => r.stdout, () => "");
  for (const line of out.split("\n")) {
    const dst = line.split(" ")[0];
    const dev = line.match(/ dev (\S+)/)?.[1] ?? "?";
    if (dst && dst !== "default" && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst) && !/^(docker0|br-)/.test(dev)) {
      used.push({ cidr: dst.includes("/") ? dst : `${dst}/32`, owner: `route via ${dev}` });
    }
  }
  return used;
}

/** Where this engine runs, for the subnet check and the image cache (src/engine/locality.ts). */
export async function localityOf(docker: Docker): Promise<EngineLocality> {
  return engineLocality((await docker.info()) as EngineInfo, thisMachine());
}

/** Decides how hosts get their rights from the engine's own facts (hosts/dind/host-mode.ts, unit-tested). */
export async function chooseHostMode(docker: Docker): Promise<{ mode: HostMode; why: string; warnings: string[] }> {
  return decideHostMode((await docker.info()) as Parameters<typeof decideHostMode>[0]);
}

export async function findLab(docker: Docker, name: string, composeFile = DEFAULT_COMPOSE_FILE): Promise<LabHosts | null> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LAB_LABEL}=${name}`] } });
  // Stand-in machines (machines up) are reached over SSH, never as a docker-in-docker lab.
  const hostsFound = containers.filter((c) => c.Labels[HOST_LABEL] && !c.Labels["swarmlab.machine"]);
  if (hostsFound.length === 0) return null;
  const first = hostsFound[0]!;
  // The size the lab was made with (labels since labs of any size; older labs: the file's hosts).
  const file = readCompose(composeFile);
  const sizeLabel = Number(first.Labels[SIZE_LABEL]);
  const topology = sizeLabel ? topologyForSize(file, sizeLabel) : file;
  const managersLabel = Number(first.Labels[MANAGERS_LABEL]);
  const net = networkName(name, topology.networkName);
  const subnet = first.Labels["swarmlab.subnet"] ?? topology.subnet;
  const mode = (first.Labels["swarmlab.mode"] as HostMode | undefined) ?? "capabilities";
  const from = parseCidr(topology.subnet);
  const to = parseCidr(subnet);
  const reach = hostReach(await localityOf(docker));
  const hosts = topology.hosts.map(
    (h) => new HostNode(h.service, containerName(name, h.service), h.hostname, rebase(h.address, from, to), reach),
  );
  return { name, subnet, network: net, mode, hosts, topology, ...(managersLabel ? { managers: managersLabel } : {}) };
}

/** Labels on every host container: the lab's size, so findLab rebuilds the same hosts. */
export const SIZE_LABEL = "swarmlab.size";
export const MANAGERS_LABEL = "swarmlab.managers";

export interface CreateHostsOptions {
  name?: string;
  composeFile?: string;
  subnet?: string;
  /** How many hosts (docker1..dockerN, 1..9); default the compose file's. */
  hosts?: number;
  /** How many of them formSwarm makes managers (recorded in a label; default every host). */
  managers?: number;
  dindImage: string;
  log?: Log;
  signal?: AbortSignal;
  /** Labels beyond the lab's own (stand-in machines are marked so no lab command mistakes them for lab hosts). */
  extraLabels?: Record<string, string>;
  /** Where the engine runs (ensureEngine's); asked of the engine when not given. */
  locality?: EngineLocality;
  /** Fills a host's fresh /var/lib/docker volume before the host starts (the image cache). */
  prefillEngineVolume?: (volume: string) => Promise<void>;
}

/** The lab's volume a host mounts at /var/lib/docker (its inner engine's data). */
export function engineVolumeOf(lab: string, spec: { volumes: Array<[string, string]> }): string | undefined {
  const v = spec.volumes.find(([, dest]) => dest === "/var/lib/docker");
  return v ? volumeName(lab, v[0]) : undefined;
}

/** Creates the lab's network, volumes and host containers from the compose file, and waits for each inner dockerd. */
export async function createHosts(docker: Docker, opts: CreateHostsOptions): Promise<LabHosts> {
  const name = opts.name ?? DEFAULT_LAB;
  const log = opts.log ?? (() => {});
  const file = readCompose(opts.composeFile ?? DEFAULT_COMPOSE_FILE);
  const topology = opts.hosts === undefined ? file : topologyForSize(file, opts.hosts);
  const managers = opts.managers ?? topology.hosts.length;
  const preferred = opts.subnet ?? topology.subnet;
  let subnet: string;
  let reach: HostReach;
  try {
    // The default lab keeps the walkthrough's subnet or fails clearly; other labs find a free one.
    const locality = opts.locality ?? (await localityOf(docker));
    reach = hostReach(locality);
    if (reach === "engine") log(`hosts reached through the engine (docker exec: dial-stdio for their engines, socat for published ports): ${locality.facilities["lab-routes"].available ? `${HOST_REACH_VARIABLE}=engine` : "this machine does not route to the lab's bridge"}`);
    const routes = locality.facilities["ip-route"];
    if (!routes.available) log(`ip route ${routes.detail}`);
    const inUse = await subnetsInUse(docker, routes.available);
    // An engine elsewhere: at least the network it is reached on is taken.
    const engineNet = locality.local ? undefined : engineNetworkInUse(process.env.DOCKER_HOST);
    if (engineNet) inUse.push(engineNet);
    // The walkthrough's subnet is kept for the default lab, so other labs never take it.
    if (name !== DEFAULT_LAB && opts.subnet === undefined) inUse.push({ cidr: topology.subnet, owner: `the default lab ${DEFAULT_LAB}` });
    subnet = chooseSubnet(preferred, inUse, opts.subnet !== undefined || name === DEFAULT_LAB);
  } catch (err) {
    throw new LabError(`cannot create lab ${name}: ${(err as Error).message}`, {
      hint: name === DEFAULT_LAB ? "remove what uses it, or start another lab with --name N (it finds a free subnet)" : "pass --subnet with a free /24",
    });
  }
  const from = parseCidr(topology.subnet);
  const to = parseCidr(subnet);
  const { mode, why, warnings } = await chooseHostMode(docker);
  log(`hosts run ${mode === "privileged" ? "--privileged" : "with the capability recipe"}: ${why}`);
  for (const w of warnings) log(`warning: ${w}`);
  const net = networkName(name, topology.networkName);
  const labels = labLabels(name);
  await docker.createNetwork({
    Name: net,
    Driver: "bridge",
    CheckDuplicate: true,
    Labels: labels,
    IPAM: { Driver: "default", Config: [{ Subnet: subnet }] },
  });
  for (const v of topology.volumeNames) {
    await docker.createVolume({ Name: volumeName(name, v), Labels: labels });
  }
  if (opts.prefillEngineVolume) {
    const engineVolumes = topology.hosts.map((h) => engineVolumeOf(name, h)).filter((v): v is string => Boolean(v));
    await Promise.all(engineVolumes.map((v) => opts.prefillEngineVolume!(v)));
  }
  const hosts: HostNode[] = [];
  const starting: Array<Promise<void>> = [];
  for (const spec of topology.hosts) {
    opts.signal?.throwIfAborted();
    const address = rebase(spec.address, from, to);
    const container = containerName(name, spec.service);
    // The lab's registry runs on the first host (the manager) when asked for: every host trusts it.
    const registry = `${rebase(topology.hosts[0]!.address, from, to)}:5000`;
    const sizeLabels = { [SIZE_LABEL]: String(topology.hosts.length), [MANAGERS_LABEL]: String(managers) };
    // Each start waits for its host's dockerd (testcontainers' wait strategy): the hosts start side by side.
    starting.push(createHostContainer(docker, spec, { lab: name, container, address, net, subnet, mode, image: opts.dindImage, registry, reach, extraLabels: { ...sizeLabels, ...opts.extraLabels }, signal: opts.signal }));
    hosts.push(new HostNode(spec.service, container, spec.hostname, address, reach));
  }
  // Every start settles before a failure is reported: the caller's cleanup must find every host.
  const failed = (await Promise.allSettled(starting)).find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return { name, subnet, network: net, mode, hosts, topology, managers };
}

/**
 * Creates and starts one host through testcontainers (SwarmHostContainer: the host mode, the fixed
 * address, the lab's labels and volumes, a wait for its dockerd). Loaded here only, so commands that
 * create no host start without testcontainers.
 */
async function createHostContainer(
  docker: Docker,
  spec: HostSpec,
  o: { lab: string; container: string; address: string; net: string; subnet: string; mode: HostMode; image: string; registry: string; reach: HostReach; extraLabels?: Record<string, string>; signal?: AbortSignal },
): Promise<void> {
  const { SwarmHostContainer } = await import("./swarm-host-container.js");
  const host = new SwarmHostContainer(o.image, {
    lab: o.lab,
    spec,
    container: o.container,
    address: o.address,
    network: o.net,
    subnet: o.subnet,
    mode: o.mode,
    registry: o.registry,
    reach: o.reach,
    extraLabels: o.extraLabels,
    docker,
    signal: o.signal,
  });
  await host.start();
}

/** Removes everything that carries the lab's label. Safe to call when nothing is there. */
export async function removeLab(docker: Docker, name: string): Promise<RemovalSummary> {
  const filter = { label: [`${LAB_LABEL}=${name}`] };
  const summary: RemovalSummary = { containers: [], networks: [], volumes: [] };
  const containers = await docker.listContainers({ all: true, filters: filter });
  await Promise.all(
    containers.map(async (c) => {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      summary.containers.push(c.Names[0]?.replace(/^\//, "") ?? c.Id);
    }),
  );
  for (const n of await docker.listNetworks({ filters: filter })) {
    await docker.getNetwork(n.Id).remove();
    summary.networks.push(n.Name);
  }
  const { Volumes } = await docker.listVolumes({ filters: filter });
  for (const v of Volumes ?? []) {
    await docker.getVolume(v.Name).remove({ force: true });
    summary.volumes.push(v.Name);
  }
  return summary;
}


/**
 * Docker-in-docker power: the host is a container of the outer engine. stop = docker stop (grace
 * seconds of SIGTERM, then SIGKILL), kill = SIGKILL, pause = the cgroup freezer.
 */
export async function powerHost(docker: Docker, h: HostNode, op: PowerOp, opts: { grace?: number; signal?: AbortSignal } = {}): Promise<void> {
  const c = docker.getContainer(h.container);
  const what = `${op} host ${h.name} (container ${h.container})`;
  try {
    switch (op) {
      case "stop":
        await c.stop({ t: opts.grace ?? 0 });
        return;
      case "kill":
        await c.kill({ signal: "SIGKILL" });
        return;
      case "pause":
        await c.pause();
        return;
      case "resume":
        await c.unpause();
        return;
      case "start":
        await c.start();
        break;
      case "restart":
        await c.restart({ t: 0 });
        break;
    }
  } catch (err) {
    throw engineError(what, err);
  }
  await waitForInnerEngine(h, opts.signal);
}

/** A dockerode failure worded with the operation, and the engine's own message (not cut to a line). */
export function engineError(operation: string, err: unknown): LabError {
  const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
  const msg = e.json?.message ?? e.message ?? String(err);
  return new LabError(`${operation} failed${e.statusCode ? ` (engine answered ${e.statusCode})` : ""}: ${msg}`, { cause: err });
}
