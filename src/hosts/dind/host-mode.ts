/**
 * How lab host containers get the rights to run their own dockerd, and whether the outer engine
 * can carry the lab at all: pure functions of the Engine API's GET /info (and GET /version), so
 * every engine we know of is a unit-tested fixture (test/fixtures/docker-info/).
 *
 * What the fields mean, from moby's sources (daemon/info.go, daemon/info_unix.go at each tag):
 * - CgroupVersion "1" | "2": reported since Docker 20.10 (API 1.41); absent before.
 * - CgroupDriver "cgroupfs" | "systemd" | "none" ("none": rootless without cgroups).
 * - SecurityOptions: "name=apparmor", "name=seccomp,profile=default" (20.10) or
 *   "name=seccomp,profile=builtin" (23.0+), "name=selinux", "name=userns" (user-namespace remap),
 *   "name=rootless", "name=cgroupns" (containers get a private cgroup namespace by default: the
 *   default on cgroup v2), "name=no-new-privileges" (25.0+). Before API 1.25 (Docker 1.13) the
 *   entries were bare names ("apparmor", "seccomp").
 * - OperatingSystem: "Docker Desktop" on Desktop's VM; " (containerized)" is appended when the
 *   daemon itself runs in a container.
 * - Docker 29 (API 1.52) adds a Warning that cgroup v1 support is deprecated (removal by May 2029)
 *   and refuses clients older than API 1.44 unless dockerd runs with DOCKER_MIN_API_VERSION.
 */
import { hostname, release } from "node:os";
import { networkAround } from "../subnet.js";

/** The fields of GET /info this module reads (a subset; every field optional, as old engines lack some). */
export interface EngineInfo {
  ServerVersion?: string;
  CgroupVersion?: string;
  CgroupDriver?: string;
  SecurityOptions?: string[] | null;
  OperatingSystem?: string;
  OSType?: string;
  KernelVersion?: string;
  Driver?: string;
  Name?: string;
  Labels?: string[] | null;
  Swarm?: { LocalNodeState?: string } | null;
  Warnings?: string[] | null;
  /** Bytes of memory the engine's machine (or VM) has. */
  MemTotal?: number;
  /** CPUs the engine's machine (or VM) has. */
  NCPU?: number;
}

/** The fields of GET /version this module reads. */
export interface EngineVersion {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  Os?: string;
  KernelVersion?: string;
  Components?: Array<{ Name?: string; Version?: string }> | null;
}

/** How host containers get the rights to run their own dockerd on this engine. */
export type HostMode = "privileged" | "capabilities";
export type CgroupVersion = "v1" | "v2";

export interface HostModeDecision {
  mode: HostMode;
  cgroup: CgroupVersion;
  /** One line: what was chosen and why. */
  why: string;
  /** Things about this engine that can still break the hosts in the chosen mode, one line each. */
  warnings: string[];
}

/** The oldest outer engine the lab supports, and why (see engineProblems). */
export const MIN_ENGINE = { version: "20.10", api: "1.41" } as const;

/** Docker's own dind entrypoint, whose cgroup v2 step the hosts' entrypoint follows. */
export const MOBY_DIND = "moby's hack/dind";

/** The parsed SecurityOptions: name -> its key=value options ("name=seccomp,profile=builtin" -> seccomp: {profile: builtin}). */
export function securityOptions(info: EngineInfo): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const entry of info.SecurityOptions ?? []) {
    const kv: Record<string, string> = {};
    for (const part of entry.split(",")) {
      const eq = part.indexOf("=");
      if (eq < 0) kv.name ??= part.trim();
      else kv[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    if (kv.name) out.set(kv.name, kv);
  }
  return out;
}

/** "20.10.24+dfsg1", "19.03.6-ce", "28.0.0-rc.1", "v1.12.6" -> [major, minor]; null when not a version. */
export function parseEngineVersion(v: string | undefined): [number, number] | null {
  const m = v?.trim().match(/^v?(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** a < b for [major, minor] pairs. */
function older(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function versionOf(info: EngineInfo, version?: EngineVersion | null): string | undefined {
  return info.ServerVersion || version?.Version || undefined;
}

/** True when the engine is Docker Desktop, or another desktop VM product (OrbStack, Rancher Desktop). */
export function desktopProduct(info: EngineInfo): string | undefined {
  const os = info.OperatingSystem ?? "";
  if (/^Docker (Desktop|for Mac|for Windows)/i.test(os)) return "Docker Desktop";
  if ((info.Labels ?? []).some((l) => l.startsWith("com.docker.desktop."))) return "Docker Desktop";
  if (/^OrbStack/i.test(os)) return "OrbStack";
  if (/Rancher Desktop/i.test(os)) return "Rancher Desktop";
  return undefined;
}

/**
 * Decides how host containers get their rights, from the outer engine's GET /info:
 * cgroup v2 -> --privileged, and the host's entrypoint nests its cgroups as moby's hack/dind does;
 * cgroup v1 -> the capability recipe of docker-compose.dind.yml (all capabilities but
 * SYS_RESOURCE, unconfined seccomp/apparmor/system paths, every device, /sys/fs/cgroup bound rw),
 * because --privileged fails on kernels whose bounding set lacks a capability.
 */
export function decideHostMode(info: EngineInfo): HostModeDecision {
  const opts = securityOptions(info);
  const warnings: string[] = [];
  const known = info.CgroupVersion === "1" || info.CgroupVersion === "2";
  const cgroup: CgroupVersion = info.CgroupVersion === "2" ? "v2" : "v1";
  const v = parseEngineVersion(info.ServerVersion);

  if (!known) {
    warnings.push(
      `the engine does not report CgroupVersion (it arrived in Docker 20.10, API 1.41; this is ${info.ServerVersion ?? "an unknown version"}): cgroup v1 assumed`,
    );
  }
  if (opts.has("rootless")) {
    warnings.push(
      "rootless engine (SecurityOptions name=rootless): --privileged and added capabilities reach only as far as the engine's user namespace; the hosts' dockerd is not supported there",
    );
  }
  if (info.CgroupDriver === "none") {
    warnings.push("the engine has no cgroup driver (CgroupDriver none): containers get no cgroups of their own, so no host can give its inner containers any");
  }
  if (opts.has("userns")) {
    warnings.push(
      "the engine remaps user namespaces (SecurityOptions name=userns): dockerd refuses privileged containers there (\"privileged mode is incompatible with user namespaces\") unless they are created with HostConfig.UsernsMode=host",
    );
  }
  if (/\(containerized\)\s*$/.test(info.OperatingSystem ?? "")) {
    warnings.push(`the engine itself runs in a container (OperatingSystem "${info.OperatingSystem}"): the lab's hosts are a third level of nesting`);
  }

  if (cgroup === "v2") {
    if (!opts.has("cgroupns") && !opts.has("rootless")) {
      warnings.push(
        "no name=cgroupns in SecurityOptions: this engine gives containers the host's cgroup namespace by default, so a privileged host would see the machine's whole cgroup tree; the host entrypoint refuses to nest there: create hosts with HostConfig.CgroupnsMode=private (API 1.41)",
      );
    }
    return {
      mode: "privileged",
      cgroup,
      why: `cgroup v2 engine (${info.CgroupDriver ?? "unknown"} driver): --privileged, and each host's entrypoint moves itself into /sys/fs/cgroup/init and enables every controller for its children, as ${MOBY_DIND} does`,
      warnings,
    };
  }

  if (v && v[0] >= 29) {
    warnings.push(`Docker ${info.ServerVersion} deprecates cgroup v1 (support to be removed by May 2029, moby issue 51111): boot the machine with cgroup v2 to stay on a supported path`);
  }
  if (opts.has("selinux")) {
    warnings.push("SELinux is enforced by the engine (name=selinux): capability-recipe hosts keep an SELinux label and may be denied the cgroup and device access they need (label=disable would lift it)");
  }
  return {
    mode: "capabilities",
    cgroup,
    why: `cgroup v1 engine${known ? "" : " (assumed)"}: only the capabilities docker-compose.dind.yml lists (none that reaches the machine: no SYS_TIME, SYS_MODULE, SYS_BOOT, SYS_RAWIO), unconfined seccomp/apparmor/systempaths, /sys/fs/cgroup bound rw (--privileged fails where the bounding set lacks SYS_RESOURCE)`,
    warnings,
  };
}

/** What the lab can know about the machine it runs on, to tell a local engine from one elsewhere. */
export interface LocalMachine {
  /** os.hostname() */
  hostname: string;
  /** process.platform */
  platform: string;
  /** os.release(): the running kernel, which a local engine reports as KernelVersion. */
  kernelRelease?: string;
  /** $DOCKER_HOST, when set. */
  dockerHost?: string;
  /** The API version the docker CLI on PATH speaks, when known (`docker version -f '{{.Client.APIVersion}}'`). */
  clientApiVersion?: string;
}

/** This machine, for engineProblems (the one impure export of this module). */
export function localMachine(env: NodeJS.ProcessEnv = process.env): LocalMachine {
  return { hostname: hostname(), platform: process.platform, kernelRelease: release(), dockerHost: env.DOCKER_HOST || undefined };
}

export type EngineProblemCode =
  | "not-docker"
  | "not-linux"
  | "too-old"
  | "client-too-old"
  | "rootless"
  | "userns-remap"
  | "desktop"
  | "remote";

export interface EngineProblem {
  code: EngineProblemCode;
  /** fatal: the lab's hosts cannot run on this engine. limited: they can, but the named parts of the lab cannot. */
  severity: "fatal" | "limited";
  /** One line: what is wrong and why it matters to the lab. */
  reason: string;
  /** One line: what to do. */
  fix: string;
}

/** "reason. Fix: fix" on one line. */
export function formatProblem(p: EngineProblem): string {
  return `${p.reason}. Fix: ${p.fix}`;
}

function apiOlder(a: string | undefined, b: string): boolean {
  const pa = parseEngineVersion(a);
  const pb = parseEngineVersion(b);
  return pa !== null && pb !== null && older(pa, pb);
}

/** A DOCKER_HOST that points at another machine (tcp:// or ssh:// to a host that is not this one). */
export function remoteDockerHost(dockerHost: string | undefined): string | undefined {
  if (!dockerHost) return undefined;
  const m = dockerHost.match(/^(tcp|ssh|https?):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)/i);
  if (!m) return undefined; // unix://, npipe://, fd://: this machine
  const host = m[2]!.replace(/^\[|\]$/g, "").toLowerCase();
  return ["localhost", "127.0.0.1", "::1"].includes(host) ? undefined : host;
}

/**
 * The network a remote engine is reached on (the /24 around DOCKER_HOST's IPv4 address), as a
 * subnet in use: its machine's routes are not visible from here, and a lab bridge on that network
 * would take the route the engine is reached by (seen: a bridge on 192.168.11.0/24 took
 * 192.168.11.1, the machine's gateway, and cut it off). Undefined for a local or named engine.
 */
export function engineNetworkInUse(dockerHost: string | undefined): { cidr: string; owner: string } | undefined {
  const remote = remoteDockerHost(dockerHost);
  return remote ? networkAround(remote, `the network of the engine's own address ${remote} (DOCKER_HOST=${dockerHost})`) : undefined;
}

/** The engine runs somewhere other than this machine: in a desktop product's VM, or on another host. */
export interface EngineElsewhere {
  code: "desktop" | "remote";
  /** The desktop product (Docker Desktop, OrbStack, Rancher Desktop) when code is desktop. */
  product?: string;
  /** Why the engine is judged elsewhere, as a clause: "DOCKER_HOST=tcp://10.1.2.3:2375 points at 10.1.2.3". */
  why: string;
}

/**
 * Whether the engine runs on this machine, from its GET /info and what this machine is: a desktop
 * product (recognised without `here`), a DOCKER_HOST to another host, another platform, another
 * kernel or another host name. undefined: the engine is this machine's own (or, without `here`,
 * nothing says otherwise). engineProblems and src/engine/locality.ts both decide with it.
 */
export function engineElsewhere(info: EngineInfo, here?: LocalMachine): EngineElsewhere | undefined {
  const desktop = desktopProduct(info);
  if (desktop) return { code: "desktop", product: desktop, why: `${desktop} runs the engine in a Linux VM (kernel ${info.KernelVersion ?? "unknown"})` };
  if (!here) return undefined;
  const remoteHost = remoteDockerHost(here.dockerHost);
  const kernelDiffers = Boolean(here.kernelRelease && info.KernelVersion && here.kernelRelease !== info.KernelVersion);
  const nameDiffers = Boolean(here.hostname && info.Name && here.hostname.toLowerCase() !== info.Name.toLowerCase());
  let why: string | undefined;
  if (remoteHost) why = `DOCKER_HOST=${here.dockerHost} points at ${remoteHost}`;
  else if (here.platform !== "linux") why = `this machine is ${here.platform}, the engine is Linux ${info.KernelVersion ?? ""}`.trimEnd();
  else if (kernelDiffers) why = `the engine's kernel ${info.KernelVersion} is not this machine's ${here.kernelRelease}`;
  else if (nameDiffers) why = `the engine's host is named ${info.Name}, this machine ${here.hostname} (same kernel: this process may run in a container beside the engine)`;
  return why ? { code: "remote", why } : undefined;
}

/**
 * Why this engine cannot carry the lab, or which parts of the lab it cannot: each a one-line
 * reason and a one-line fix. `here` (this machine) enables the remote-engine checks.
 */
export function engineProblems(info: EngineInfo, version?: EngineVersion | null, here?: LocalMachine): EngineProblem[] {
  const problems: EngineProblem[] = [];
  const opts = securityOptions(info);
  const serverVersion = versionOf(info, version);

  const podman = (version?.Components ?? []).find((c) => /podman/i.test(c.Name ?? ""));
  if (podman) {
    problems.push({
      code: "not-docker",
      severity: "fatal",
      reason: `the engine is ${podman.Name} ${podman.Version ?? ""}`.trimEnd() + " behind a Docker-compatible API, not Docker Engine: the lab's hosts and version checks assume Docker Engine",
      fix: `point the lab at a Docker Engine ${MIN_ENGINE.version} or newer (unset DOCKER_HOST to use /var/run/docker.sock, or let \`swarmlab setup\` start Debian's docker.io)`,
    });
    return problems;
  }

  const osType = info.OSType ?? version?.Os;
  if (osType && osType !== "linux") {
    problems.push({
      code: "not-linux",
      severity: "fatal",
      reason: `the engine runs ${osType} containers: the lab's hosts are Linux containers running their own dockerd`,
      fix: "switch the engine to Linux containers (Docker Desktop: \"Switch to Linux containers\"), or use a Linux engine",
    });
  }

  const v = parseEngineVersion(serverVersion);
  const min = parseEngineVersion(MIN_ENGINE.version)!;
  const tooOldByVersion = v !== null && older(v, min);
  const tooOldByApi = v === null && apiOlder(version?.ApiVersion, MIN_ENGINE.api);
  if (tooOldByVersion || tooOldByApi) {
    const missing: string[] = [
      "no cgroup v2 support in dockerd and no CgroupVersion in /info (both 20.10), which the lab reads to choose how hosts get their rights",
      "no per-container cgroup namespaces (CgroupnsMode, API 1.41) for the privileged hosts' nested cgroups",
    ];
    if (v && older(v, [17, 4])) missing.push("no device cgroup rules (17.04, API 1.28) for the capability recipe");
    if (v && older(v, [1, 12])) missing.push("it even predates swarm mode (1.12)");
    const what = serverVersion ? `Docker ${serverVersion}` : `an engine speaking API ${version?.ApiVersion}`;
    problems.push({
      code: "too-old",
      severity: "fatal",
      reason: `${what} is older than the lab's minimum, Docker ${MIN_ENGINE.version} (API ${MIN_ENGINE.api}): ${missing.join("; ")}`,
      fix: `upgrade the engine to ${MIN_ENGINE.version} or newer (Debian 12's docker.io is 20.10.24, Docker's own packages are 28.x), or stop it and let \`swarmlab setup\` start Debian's docker.io on a Debian/Ubuntu machine`,
    });
  }

  if (here?.clientApiVersion && version?.MinAPIVersion && apiOlder(here.clientApiVersion, version.MinAPIVersion)) {
    problems.push({
      code: "client-too-old",
      severity: "fatal",
      reason: `the docker CLI here speaks API ${here.clientApiVersion} but Docker ${serverVersion ?? "(this engine)"} accepts ${version.MinAPIVersion} and newer (Docker 29 raised its minimum to 1.44): the lab's \`docker\` commands would be refused`,
      fix: `install a newer docker CLI, or start dockerd with DOCKER_MIN_API_VERSION=${here.clientApiVersion}`,
    });
  }

  if (opts.has("rootless")) {
    problems.push({
      code: "rootless",
      severity: "fatal",
      reason: `rootless engine (SecurityOptions name=rootless${info.CgroupDriver === "none" ? ", CgroupDriver none: no cgroups at all" : ""}): --privileged there grants only the capabilities of the engine's user namespace, so the lab's hosts (privileged dind with nested cgroups, or the capability recipe with /sys/fs/cgroup bound rw) cannot run their dockerd the way the lab needs`,
      fix: "use a rootful engine: start the system dockerd and point the lab at it (`docker context use default`, or DOCKER_HOST=unix:///var/run/docker.sock)",
    });
  }

  if (opts.has("userns")) {
    problems.push({
      code: "userns-remap",
      severity: "fatal",
      reason: "the engine remaps user namespaces (--userns-remap, SecurityOptions name=userns): dockerd refuses privileged containers there, and the lab's hosts need root over the real kernel",
      fix: "start dockerd without --userns-remap (daemon.json \"userns-remap\"), or create the hosts with HostConfig.UsernsMode=host",
    });
  }

  const elsewhere = engineElsewhere(info, here);
  if (elsewhere?.code === "desktop") {
    problems.push({
      code: "desktop",
      severity: "limited",
      reason: `${elsewhere.product}: the engine runs in a Linux VM (kernel ${info.KernelVersion ?? "unknown"}), not on this machine, so the lab's \`ip route\` subnet check, its /proc readings of the engine's processes, apt and debootstrap all see the wrong machine`,
      fix: "expect those checks to say \"not available here\" and the images to come from a registry; for the whole lab, use a Linux machine or VM with its own engine",
    });
  } else if (elsewhere) {
    problems.push({
      code: "remote",
      severity: "limited",
      reason: `the engine is not on this machine (${elsewhere.why}): the lab's \`ip route\` subnet check and /proc readings of the engine's processes see this machine instead, and apt cannot install anything there`,
      fix: "run the lab on the engine's machine, or accept those checks as \"not available here\" (memory figures then come from the engine's API)",
    });
  }
  return problems;
}
