import type Docker from "dockerode";
import { join } from "node:path";
import { readCompose, type HostSpec } from "../compose.js";
import { containerName, HOST_LABEL, LAB_LABEL, labLabels, networkName, volumeName, DEFAULT_LAB } from "../naming.js";
import { chooseSubnet, parseCidr, rebase } from "../subnet.js";
import { HostNode, INNER_API_PORT } from "./dind-host.js";
import { decideHostMode } from "./host-mode.js";
import type { Host, LabHosts, PowerOp, RemovalSummary } from "../host.js";
import { LabError } from "../../util/errors.js";
import { projectRoot } from "../../util/paths.js";
import { run } from "../../util/run.js";
import { waitFor } from "../../util/wait.js";
import type { Log } from "../../engine/engine.js";

export const DEFAULT_COMPOSE_FILE = join(projectRoot, "docker-compose.dind.yml");

/** How host containers get the rights to run their own dockerd on this engine. */
export type HostMode = "privileged" | "capabilities";

/** Subnets already taken on this machine: docker networks and the machine's own routes. */
export async function subnetsInUse(docker: Docker): Promise<Array<{ cidr: string; owner: string }>> {
  const used: Array<{ cidr: string; owner: string }> = [];
  for (const n of await docker.listNetworks()) {
    for (const c of n.IPAM?.Config ?? []) {
      if (c.Subnet && !c.Subnet.includes(":")) used.push({ cidr: c.Subnet, owner: `docker network ${n.Name}` });
    }
  }
  const routes = await run(["ip", "-o", "-4", "route", "show"], { allowFailure: true });
  for (const line of routes.stdout.split("\n")) {
    const dst = line.split(" ")[0];
    const dev = line.match(/ dev (\S+)/)?.[1] ?? "?";
    if (dst && dst !== "default" && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst) && !/^(docker0|br-)/.test(dev)) {
      used.push({ cidr: dst.includes("/") ? dst : `${dst}/32`, owner: `route via ${dev}` });
    }
  }
  return used;
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
  const topology = readCompose(composeFile);
  const net = networkName(name, topology.networkName);
  const first = hostsFound[0]!;
  const subnet = first.Labels["swarmlab.subnet"] ?? topology.subnet;
  const mode = (first.Labels["swarmlab.mode"] as HostMode | undefined) ?? "capabilities";
  const from = parseCidr(topology.subnet);
  const to = parseCidr(subnet);
  const hosts = topology.hosts.map(
    (h) => new HostNode(h.service, containerName(name, h.service), h.hostname, rebase(h.address, from, to)),
  );
  return { name, subnet, network: net, mode, hosts, topology };
}

export interface CreateHostsOptions {
  name?: string;
  composeFile?: string;
  subnet?: string;
  dindImage: string;
  log?: Log;
  signal?: AbortSignal;
  /** Labels beyond the lab's own (stand-in machines are marked so no lab command mistakes them for lab hosts). */
  extraLabels?: Record<string, string>;
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
  const topology = readCompose(opts.composeFile ?? DEFAULT_COMPOSE_FILE);
  const preferred = opts.subnet ?? topology.subnet;
  let subnet: string;
  try {
    // The default lab keeps the walkthrough's subnet or fails clearly; other labs find a free one.
    const inUse = await subnetsInUse(docker);
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
  for (const spec of topology.hosts) {
    opts.signal?.throwIfAborted();
    const address = rebase(spec.address, from, to);
    const container = containerName(name, spec.service);
    // The lab's registry runs on the first host (the manager) when asked for: every host trusts it.
    const registry = `${rebase(topology.hosts[0]!.address, from, to)}:5000`;
    await createHostContainer(docker, spec, { lab: name, container, address, net, subnet, mode, image: opts.dindImage, registry, extraLabels: opts.extraLabels });
    hosts.push(new HostNode(spec.service, container, spec.hostname, address));
  }
  await Promise.all(hosts.map((h) => waitForInnerEngine(h, opts.signal)));
  return { name, subnet, network: net, mode, hosts, topology };
}

async function createHostContainer(
  docker: Docker,
  spec: HostSpec,
  o: { lab: string; container: string; address: string; net: string; subnet: string; mode: HostMode; image: string; registry: string; extraLabels?: Record<string, string> },
): Promise<void> {
  const privileged = o.mode === "privileged" || spec.privileged;
  const binds = [
    // Under --privileged on cgroup v2 the container has its own cgroup namespace: no host bind.
    ...spec.binds.filter((b) => !(privileged && b.startsWith("/sys/fs/cgroup"))),
    ...spec.volumes.map(([vol, dest]) => `${volumeName(o.lab, vol)}:${dest}`),
  ];
  const c = await docker.createContainer({
    name: o.container,
    Hostname: spec.hostname,
    Image: o.image,
    // --tls=false: an explicit choice skips dockerd's deliberate start-up delay for plain TCP (lab bridge only).
    Cmd: [`--host=tcp://0.0.0.0:${INNER_API_PORT}`, "--tls=false", `--insecure-registry=${o.registry}`],
    Labels: labLabels(o.lab, { [HOST_LABEL]: spec.service, "swarmlab.subnet": o.subnet, "swarmlab.mode": o.mode, ...o.extraLabels }),
    HostConfig: {
      Privileged: privileged,
      // Nested cgroups need a cgroup namespace of the host's own (the entrypoint refuses otherwise).
      ...(privileged ? { CgroupnsMode: "private" as const } : {}),
      CapAdd: privileged ? [] : spec.capAdd,
      CapDrop: privileged ? [] : spec.capDrop,
      // The CLI's systempaths=unconfined is no API security option: it means empty masked/read-only paths.
      SecurityOpt: spec.securityOpt.filter((o) => o !== "systempaths=unconfined"),
      ...(spec.securityOpt.includes("systempaths=unconfined") ? { MaskedPaths: [], ReadonlyPaths: [] } : {}),
      DeviceCgroupRules: privileged ? [] : spec.deviceCgroupRules,
      Binds: binds,
      NetworkMode: o.net,
      // The inner engine keeps swarm state and images: no log growth from the outer side.
      LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
    },
    NetworkingConfig: {
      EndpointsConfig: { [o.net]: { IPAMConfig: { IPv4Address: o.address }, Aliases: [spec.service, spec.hostname] } },
    },
  });
  try {
    await c.start();
  } catch (err) {
    throw new LabError(`cannot start host ${o.container} (${o.mode}): ${(err as Error).message}`, {
      hint: "run `swarmlab doctor` to see what this engine allows",
    });
  }
}

export async function waitForInnerEngine(h: Host, signal?: AbortSignal): Promise<void> {
  await waitFor(
    `the dockerd inside ${h.name} to answer`,
    async () => (await h.docker(["info", "--format", "{{.ServerVersion}}"], { allowFailure: true, timeoutMs: 10_000 })),
    (r) => r.exitCode === 0,
    { timeoutMs: 90_000, intervalMs: 500, signal },
    (r) => (r.stderr || r.stdout).split("\n")[0] ?? "",
  );
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
