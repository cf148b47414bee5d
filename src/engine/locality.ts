/**
 * Where the outer engine runs relative to this machine, and which of this machine's facilities the
 * lab may use for it: /proc (the engine's processes: bench memory, doctor's capabilities and kernel
 * modules), `ip route` (the subnet check), apt (installing docker.io), debootstrap (the image base)
 * and volume paths (the host image cache copies volumes by their Mountpoint).
 *
 * With DOCKER_HOST pointing at another machine, or on macOS/Windows with Docker Desktop, none of
 * these see the engine's machine. Each caller asks `engineLocality` and takes its other path (the
 * engine's API, docker networks only, `docker load`) or says "not available here: <why>; <fix>" in
 * one line. Whether the engine is elsewhere is decided by engineElsewhere (hosts/dind/host-mode.ts,
 * the same decision engineProblems reports); this module adds what that means for each facility.
 * Pure, but for `thisMachine()`, which gathers the inputs.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { engineElsewhere, localMachine, remoteDockerHost, type EngineInfo, type LocalMachine } from "../hosts/dind/host-mode.js";

/** A facility of this machine the lab uses on the engine's behalf. */
export type Facility = "procfs" | "ip-route" | "apt" | "debootstrap" | "volume-paths" | "lab-routes";

export const FACILITIES: readonly Facility[] = ["procfs", "ip-route", "apt", "debootstrap", "volume-paths", "lab-routes"];

/** How doctor names each facility. */
export const FACILITY_LABEL: Record<Facility, string> = {
  procfs: "/proc",
  "ip-route": "ip route",
  apt: "apt",
  debootstrap: "debootstrap",
  "volume-paths": "image cache",
  "lab-routes": "lab routes",
};

export interface FacilityState {
  facility: Facility;
  available: boolean;
  /** One line. When not available: "not available here: <why>; <fix>". */
  detail: string;
  /** When not available: the <why> alone, for callers that give their own fix. */
  why?: string;
}

/** What the lab knows of this machine: LocalMachine plus a way to ask whether a path exists. */
export interface MachineFacts extends LocalMachine {
  /** existsSync, or a fake in tests. */
  exists: (path: string) => boolean;
  /** Folders searched for commands ($PATH); the usual sbin/bin folders are always searched too. */
  path?: string[];
}

export type EnginePlace = "local" | "desktop" | "remote";

export interface EngineLocality {
  /** local: the engine runs on this machine (its processes in this /proc, its volumes on this disk). */
  place: EnginePlace;
  local: boolean;
  /** One line: where the engine is and how that was decided. */
  why: string;
  /** Whether an engine answered (without one, a local engine is assumed: the one the lab would start). */
  engineKnown: boolean;
  facilities: Record<Facility, FacilityState>;
}

/** "not available here: <why>; <fix>" */
export function notAvailable(why: string, fix: string): string {
  return `not available here: ${why}; ${fix}`;
}

function missing(facility: Facility, why: string, fix: string): FacilityState {
  return { facility, available: false, detail: notAvailable(why, fix), why };
}

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The full path of a command on this machine, or undefined. */
export function commandPath(cmd: string, here: MachineFacts): string | undefined {
  for (const dir of [...(here.path ?? []), ...SYSTEM_PATH]) {
    const p = join(dir, cmd);
    if (here.exists(p)) return p;
  }
  return undefined;
}

/** The one line `swarmlab setup` (and any base build) gives when debootstrap cannot run here. */
export function debootstrapUnavailable(here: Pick<MachineFacts, "platform">, missing?: "not-installed"): string {
  if (missing === "not-installed") {
    return "debootstrap is not installed on this machine: apt-get install debootstrap (as root), or build the base elsewhere or use --images upstream (the base pulled from a registry, no debootstrap)";
  }
  return `debootstrap is not available here (${here.platform}): build the base elsewhere or use --images upstream (the base pulled from a registry, no debootstrap)`;
}

/** The one line why the image base cannot be built here, or undefined when debootstrap can run. */
export function baseBuildBlocker(here: MachineFacts): string | undefined {
  if (here.platform !== "linux") return debootstrapUnavailable(here);
  if (!commandPath("debootstrap", here)) return debootstrapUnavailable(here, "not-installed");
  return undefined;
}

/**
 * Decides where the engine runs and which facilities of this machine apply to it. `info` is the
 * engine's GET /info; undefined when no engine answered.
 */
export function engineLocality(info: EngineInfo | undefined, here: MachineFacts): EngineLocality {
  const linux = here.platform === "linux";
  const elsewhere = info ? engineElsewhere(info, here) : undefined;
  const remoteHost = remoteDockerHost(here.dockerHost);
  let place: EnginePlace;
  let why: string;
  if (info) {
    place = elsewhere?.code ?? "local";
    why =
      elsewhere?.code === "desktop"
        ? `${elsewhere.why}, not on this machine (${here.platform})`
        : elsewhere
          ? `the engine is not on this machine: ${elsewhere.why}`
          : `the engine runs on this machine (kernel ${info.KernelVersion ?? here.kernelRelease ?? "unknown"}${info.Name ? `, host ${info.Name}` : ""})`;
  } else {
    place = remoteHost ? "remote" : linux ? "local" : "desktop";
    why = remoteHost
      ? `no engine answers at DOCKER_HOST=${here.dockerHost} (on ${remoteHost})`
      : linux
        ? "no engine answers yet: the one the lab would start runs on this machine"
        : `no engine answers; on ${here.platform} an engine runs in a Linux VM (Docker Desktop, OrbStack, colima), not on this machine`;
  }
  const local = place === "local" && linux;
  // How each "not available" line names the engine's whereabouts.
  const away =
    place === "desktop"
      ? elsewhere?.product
        ? `the engine is in a Linux VM (${elsewhere.product}), not on this ${here.platform} machine`
        : `this machine is ${here.platform}`
      : `the engine is on another machine (${elsewhere?.why ?? `DOCKER_HOST=${here.dockerHost}`})`;

  const hasProc = linux && here.exists("/proc/self/status");
  const procfs: FacilityState = local && hasProc
    ? { facility: "procfs", available: true, detail: "this machine's /proc shows the engine's processes: bench memory per process, this process's capability bounding set, kernel modules" }
    : missing(
        "procfs",
        !hasProc ? `this machine (${here.platform}) has no /proc` : `${away}: this machine's /proc shows its own processes, not the engine's`,
        "memory figures come from the engine's API (container stats, docker info MemTotal)",
      );

  const ip = linux ? commandPath("ip", here) : undefined;
  const ipRoute: FacilityState = !local
    ? missing("ip-route", `${away}: this machine's routes are not the engine's`, "the subnet check sees docker networks only; pass --subnet if the engine's machine routes the lab's subnet elsewhere")
    : !ip
      ? missing("ip-route", "no `ip` command on this machine (Debian's iproute2)", "apt-get install iproute2; until then the subnet check sees docker networks only")
      : { facility: "ip-route", available: true, detail: `${ip} -4 route: the subnet check sees this machine's routes as well as docker networks` };

  const debianLike = linux && here.exists("/etc/debian_version") && commandPath("apt-get", here) !== undefined;
  const apt: FacilityState = !debianLike
    ? missing("apt", linux ? "this machine is not Debian/Ubuntu (no /etc/debian_version or apt-get)" : `this machine is ${here.platform}`, "the lab cannot install docker.io, iptables or debootstrap here: install and start a Docker Engine yourself")
    : local
      ? { facility: "apt", available: true, detail: "apt-get installs docker.io, iptables and debootstrap on this machine when no engine answers (as root)" }
      : { facility: "apt", available: true, detail: `apt-get installs on this machine only: ${away}, so nothing it installs reaches the engine (the lab never starts a local engine while DOCKER_HOST is set)` };

  const debootstrapAt = linux ? commandPath("debootstrap", here) : undefined;
  const debootstrap: FacilityState = !linux
    ? missing("debootstrap", `debootstrap needs Linux, this machine is ${here.platform}`, "build the base elsewhere or use --images upstream (the base pulled from a registry, no debootstrap)")
    : !debootstrapAt
      ? missing("debootstrap", "debootstrap is not installed", `${debianLike ? "apt-get install debootstrap (as root), " : ""}or build the base elsewhere or use --images upstream (the base pulled from a registry, no debootstrap); needed only while the base image is missing`)
      : { facility: "debootstrap", available: true, detail: `${debootstrapAt}: the base rootfs is made here and streamed to the engine with \`docker import\`${local ? "" : " (works for an engine elsewhere too)"}` };

  const volumePaths: FacilityState = local
    ? { facility: "volume-paths", available: true, detail: "the host image cache copies volumes by their Mountpoint on this machine (hard links)" }
    : missing("volume-paths", `${away}: its volumes' Mountpoint paths are on that machine, not this one`, "the hosts get their images by `docker load` (a slower `up`)");

  // Where the lab's bridge is routed from here, its hosts' engines and published ports are reached
  // directly; otherwise through the engine (src/hosts/dind/engine-relay.ts).
  const labRoutes: FacilityState = local
    ? { facility: "lab-routes", available: true, detail: "this machine routes to the lab's bridge: the hosts' engines (<address>:2375) and their published MySQL ports are reached directly" }
    : missing("lab-routes", `${away}: the lab's bridge is there, not routed from here`, "the hosts' engines and published ports are reached through the engine (docker exec: docker system dial-stdio, socat), as SWARMLAB_HOST_REACH=engine does on any engine");

  return {
    place,
    local,
    why,
    engineKnown: info !== undefined,
    facilities: { procfs, "ip-route": ipRoute, apt, debootstrap, "volume-paths": volumePaths, "lab-routes": labRoutes },
  };
}

/** This machine, for engineLocality (the one impure export). */
export function thisMachine(env: NodeJS.ProcessEnv = process.env): MachineFacts {
  return { ...localMachine(env), exists: existsSync, path: (env.PATH ?? "").split(delimiter).filter(Boolean) };
}
