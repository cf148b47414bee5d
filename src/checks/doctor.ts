/**
 * Preflight: what this machine's engine allows and what that means for the lab. The verdicts are
 * a pure function of gathered facts (unit tested); gathering is separate. What is read of this
 * machine (/proc, its modules, its routes) is read only when the engine runs here
 * (engineLocality, src/engine/locality.ts); otherwise the check says "not available here" and why.
 */
import { table } from "../util/colour.js";
import { existsSync, readFileSync } from "node:fs";
import Docker from "dockerode";
import { run } from "../util/run.js";
import { findLab, subnetsInUse, DEFAULT_COMPOSE_FILE } from "../hosts/dind/containers.js";
import { readCompose } from "../hosts/compose.js";
import { parseCidr, overlaps } from "../hosts/subnet.js";
import { Lab } from "../lab.js";
import { DindProvider } from "../hosts/dind/dind-provider.js";
import { engineProblems, formatProblem, type EngineInfo, type EngineProblem, type EngineVersion } from "../hosts/dind/host-mode.js";
import { engineLocality, notAvailable, thisMachine, FACILITIES, FACILITY_LABEL, type EngineLocality } from "../engine/locality.js";
import { noEngineMessage } from "../engine/engine.js";

export type Verdict = "ok" | "warn" | "fail" | "info";
export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
}

export interface DoctorFacts {
  engineAnswers: boolean;
  engineVersion?: string;
  isRoot: boolean;
  debianLike: boolean;
  cgroupVersion?: string;
  /** Capabilities missing from this process's bounding set (by number); undefined: /proc is not the engine's here. */
  missingCaps?: number[];
  /** undefined: the engine's kernel cannot be asked from here. */
  vxlanModule?: boolean;
  /** undefined: the engine's kernel cannot be asked from here. */
  ipvs?: boolean;
  subnetClash?: string;
  /** process.platform and $DOCKER_HOST (for what to say when no engine answers). */
  platform?: string;
  dockerHost?: string;
  /** Where the engine runs and which of this machine's facilities apply (engineLocality). */
  locality?: EngineLocality;
  /** engineProblems of the engine that answered. */
  problems?: EngineProblem[];
  /** The engine's memory (docker info MemTotal): its machine's or its VM's, wherever it runs. */
  memTotalBytes?: number;
  labExists: boolean;
  /** "docker1->docker2 7946/tcp" -> reachable? (only after up) */
  portProbes: Record<string, boolean>;
  /** What the kernel offers the link, dns and mtu faults (asked inside a lab host when one is up). */
  faultRoutes?: Record<"netem" | "statistic" | "hashlimit" | "TEE" | "NFQUEUE", boolean>;
  /** Capabilities a lab host holds that could touch the machine itself (after up). */
  hostRiskyCaps?: string[];
}

/** Capabilities a lab host must never hold: each reaches past the lab into the machine. */
export const RISKY_CAPS: Record<number, string> = { 16: "SYS_MODULE", 17: "SYS_RAWIO", 22: "SYS_BOOT", 25: "SYS_TIME", 34: "WAKE_ALARM", 33: "MAC_ADMIN", 32: "MAC_OVERRIDE", 24: "SYS_RESOURCE", 28: "LEASE", 35: "BLOCK_SUSPEND", 37: "AUDIT_READ", 30: "AUDIT_CONTROL" };

/** Capability names held in a CapEff hex mask that are in RISKY_CAPS. */
export function riskyCapsIn(capEffHex: string): string[] {
  const bits = BigInt(`0x${capEffHex.trim() || "0"}`);
  return Object.entries(RISKY_CAPS)
    .filter(([n]) => ((bits >> BigInt(Number(n))) & 1n) === 1n)
    .map(([, name]) => name);
}

export function verdicts(f: DoctorFacts): Check[] {
  const c: Check[] = [];
  if (f.engineAnswers) c.push({ name: "engine", verdict: "ok", detail: `Docker ${f.engineVersion} answers` });
  else if (f.isRoot && f.debianLike && !f.dockerHost && (f.platform ?? "linux") === "linux")
    c.push({ name: "engine", verdict: "info", detail: "no engine answers; `swarmlab up`/`setup` will install Debian's docker.io and start dockerd" });
  else {
    const m = noEngineMessage({ dockerHost: f.dockerHost, platform: f.platform ?? "linux", isRoot: f.isRoot, debianLike: f.debianLike });
    c.push({ name: "engine", verdict: "fail", detail: `${m.message}. Fix: ${m.hint}` });
  }
  for (const p of f.problems ?? []) if (p.severity === "fatal") c.push({ name: "engine problem", verdict: "fail", detail: formatProblem(p) });
  if (f.locality) c.push({ name: "engine place", verdict: f.locality.local ? "ok" : "info", detail: f.locality.why });
  if (f.memTotalBytes) {
    const gib = f.memTotalBytes / 2 ** 30;
    c.push({
      name: "memory",
      verdict: gib < 2 ? "warn" : "ok",
      detail: `the engine has ${gib.toFixed(1)} GiB (docker info MemTotal${f.locality && !f.locality.local ? `, ${f.locality.place === "desktop" ? "its VM's" : "its machine's"}, not this machine's` : ""}); the lab's hosts peak near 2 GiB during the seed (the bench's target)`,
    });
  }
  if (f.cgroupVersion === "2") c.push({ name: "cgroups", verdict: "ok", detail: "cgroup v2: hosts run --privileged with a nested cgroup" });
  else if (f.cgroupVersion === "1") c.push({ name: "cgroups", verdict: "ok", detail: "cgroup v1: hosts run with the capability recipe and /sys/fs/cgroup bound rw" });
  else c.push({ name: "cgroups", verdict: "info", detail: "cgroup version unknown until an engine answers" });
  const procfs = f.locality?.facilities.procfs;
  const whyNot = procfs?.why ?? "this machine's /proc does not show the engine's";
  if (f.missingCaps === undefined)
    c.push({ name: "capabilities", verdict: "info", detail: `the engine's capability bounding set: ${notAvailable(whyNot, "the hosts' rights are decided from docker info (cgroups above); after `swarmlab up`, doctor reads them inside a host")}` });
  else if (f.missingCaps.length)
    c.push({
      name: "capabilities",
      verdict: f.cgroupVersion === "2" ? "warn" : "ok",
      detail: `bounding set lacks cap ${f.missingCaps.join(", ")}: --privileged fails here ("unable to apply caps"); hosts drop ${f.missingCaps.includes(24) ? "SYS_RESOURCE" : "those caps"} instead`,
    });
  else c.push({ name: "capabilities", verdict: "ok", detail: "full bounding set: --privileged would work" });
  c.push(
    f.vxlanModule === undefined
      ? { name: "vxlan", verdict: "info", detail: `the engine's VXLAN module: ${notAvailable(whyNot, "`swarmlab up --swarm` proves the overlay network")}` }
      : f.vxlanModule
        ? { name: "vxlan", verdict: "ok", detail: "the kernel has VXLAN: overlay networks carry traffic between hosts" }
        : { name: "vxlan", verdict: "fail", detail: "no VXLAN support found: the overlay network mynet cannot work" },
  );
  c.push(
    f.ipvs === undefined
      ? { name: "ipvs", verdict: "info", detail: `the engine's IPVS: ${notAvailable(whyNot, "the lab looks for /proc/sys/net/ipv4/vs inside docker1 when it runs the walkthrough and publishes MySQL in host mode without it")}` }
      : f.ipvs
        ? { name: "ipvs", verdict: "ok", detail: "IPVS present: service VIPs and the ingress routing mesh work" }
        : {
            name: "ipvs",
            verdict: "warn",
            detail:
              "no IPVS: service VIPs do not answer and published ingress ports are unreachable. Tasks still run; the lab publishes MySQL in host mode (--publish mode=host,target=3306) and Galera peers use task addresses",
          },
  );
  const routes = f.locality?.facilities["ip-route"];
  const onlyNetworks = routes && !routes.available ? " (docker networks only: ip route is not available here)" : "";
  if (f.subnetClash) c.push({ name: "subnet", verdict: f.labExists ? "info" : "fail", detail: `${f.subnetClash}${onlyNetworks}` });
  else if (f.engineAnswers) c.push({ name: "subnet", verdict: "ok", detail: `the compose file's subnet is free${onlyNetworks}` });
  else c.push({ name: "subnet", verdict: "info", detail: "checked once an engine answers" });
  // This machine's facilities the lab uses on the engine's behalf: each works here, or says why not.
  if (f.locality) {
    for (const k of FACILITIES) {
      const x = f.locality.facilities[k];
      c.push({ name: FACILITY_LABEL[k], verdict: x.available ? "ok" : k === "debootstrap" ? "warn" : "info", detail: x.detail });
    }
  }
  const probes = Object.entries(f.portProbes);
  if (probes.length) {
    const bad = probes.filter(([, ok]) => !ok).map(([k]) => k);
    c.push(
      bad.length
        ? { name: "swarm ports", verdict: "fail", detail: `not reachable between hosts: ${bad.join(", ")}` }
        : { name: "swarm ports", verdict: "ok", detail: `2377/tcp, 7946/tcp reachable between all hosts (${probes.length} probes)` },
    );
  } else c.push({ name: "swarm ports", verdict: "info", detail: "checked after `swarmlab up --swarm`" });
  if (f.faultRoutes) {
    const r = f.faultRoutes;
    const link = r.netem
      ? "tc netem: delay, jitter, loss, duplicate, corrupt and rate on a host's whole link; netfilter for peers and ports"
      : `no netem in this kernel: the link fault takes netfilter's route (${[r.statistic && "loss: statistic", r.hashlimit && "rate: hashlimit", r.TEE && "duplicate: TEE", r.NFQUEUE && "delay, jitter, corrupt: NFQUEUE + nfq-delay"].filter(Boolean).join("; ")})`;
    const missing = (["statistic", "hashlimit", "TEE", "NFQUEUE"] as const).filter((k) => !r[k]);
    c.push({ name: "fault routes", verdict: !r.netem && missing.length ? "warn" : "ok", detail: missing.length && !r.netem ? `${link}; missing: ${missing.join(", ")} (those link parameters are refused)` : link });
  }
  if (f.hostRiskyCaps) {
    c.push(
      f.hostRiskyCaps.length
        ? { name: "host privilege", verdict: "warn", detail: `lab hosts hold ${f.hostRiskyCaps.join(", ")}: a command inside one could reach this machine (its clock, its modules)` }
        : { name: "host privilege", verdict: "ok", detail: "lab hosts hold no SYS_TIME, SYS_MODULE, SYS_BOOT, SYS_RAWIO...: nothing inside one can set this machine's clock or load a module" },
    );
  }
  return c;
}

/** How doctor reads this machine: the real fs, or a fake in tests. */
export interface MachineIo {
  exists: (path: string) => boolean;
  readFile: (path: string) => string;
}

/**
 * What this machine's /proc and /sys say about the engine's kernel: read only when the engine runs
 * here (the procfs facility); otherwise nothing is read and every figure stays undefined (doctor
 * says "not available here"). On macOS, with Docker Desktop or a remote engine, no /proc path is touched.
 */
export function probeThisMachine(where: EngineLocality, io: MachineIo): Pick<DoctorFacts, "missingCaps" | "ipvs" | "cgroupVersion"> {
  if (!where.facilities.procfs.available) return {};
  let missingCaps: number[] | undefined;
  try {
    const m = io.readFile("/proc/self/status").match(/^CapBnd:\s*([0-9a-f]+)/m);
    if (m) {
      const bits = BigInt(`0x${m[1]}`);
      const lastCap = Number(io.readFile("/proc/sys/kernel/cap_last_cap").trim());
      missingCaps = [];
      for (let i = 0; i <= lastCap; i++) if (((bits >> BigInt(i)) & 1n) === 0n) missingCaps.push(i);
    } else missingCaps = [];
  } catch {
    missingCaps = undefined;
  }
  return {
    missingCaps,
    ipvs: io.exists("/proc/sys/net/ipv4/vs") || io.exists("/proc/net/ip_vs"),
    cgroupVersion: io.exists("/sys/fs/cgroup/cgroup.controllers") ? "2" : "1",
  };
}

async function moduleAvailable(name: string, procPath?: string): Promise<boolean> {
  if (procPath && existsSync(procPath)) return true;
  const r = await run(["sh", "-c", `grep -qw ${name} /proc/modules 2>/dev/null || modinfo ${name} >/dev/null 2>&1 || zgrep -q "^CONFIG_${name.toUpperCase()}=[ym]" /proc/config.gz 2>/dev/null`], { allowFailure: true }).catch(() => ({ exitCode: 1 }));
  return r.exitCode === 0;
}

export async function gatherFacts(labName: string): Promise<DoctorFacts> {
  const docker = new Docker();
  let version: (EngineVersion & { Version?: string }) | undefined;
  let info: EngineInfo | undefined;
  try {
    version = (await docker.version()) as EngineVersion & { Version?: string };
    info = (await docker.info()) as EngineInfo;
  } catch {
    /* no engine */
  }
  const here = thisMachine();
  const where = engineLocality(info, here);
  const local = probeThisMachine(where, { exists: existsSync, readFile: (p) => readFileSync(p, "utf8") });
  const facts: DoctorFacts = {
    engineAnswers: version?.Version !== undefined,
    engineVersion: version?.Version,
    isRoot: process.getuid?.() === 0,
    debianLike: existsSync("/etc/debian_version"),
    cgroupVersion: info?.CgroupVersion ?? local.cgroupVersion,
    missingCaps: local.missingCaps,
    vxlanModule: where.facilities.procfs.available ? await moduleAvailable("vxlan", "/sys/module/vxlan") : undefined,
    ipvs: local.ipvs,
    labExists: false,
    portProbes: {},
    platform: here.platform,
    dockerHost: here.dockerHost,
    locality: where,
    problems: info ? engineProblems(info, version, here) : undefined,
    memTotalBytes: info?.MemTotal,
  };
  if (!facts.engineAnswers) return facts;
  const hosts = await findLab(docker, labName);
  facts.labExists = hosts !== null;
  const topo = readCompose(DEFAULT_COMPOSE_FILE);
  const want = parseCidr(hosts?.subnet ?? topo.subnet);
  const clash = (await subnetsInUse(docker, where.facilities["ip-route"].available)).find((u) => overlaps(parseCidr(u.cidr), want));
  if (clash) facts.subnetClash = `${hosts?.subnet ?? topo.subnet} is used by ${clash.owner}${facts.labExists ? " (this lab)" : ""}`;
  if (hosts) {
    const lab = new Lab(new DindProvider(docker), hosts, false);
    const first = lab.nodes[0]!;
    const probe = async (cmd: string) => (await first.sh(cmd, { allowFailure: true, timeoutMs: 15_000 }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
    // Each netfilter extension is tried for real in a scratch chain of the host (then removed).
    const ipt = (args: string) => `iptables -w 5 -N swl-doctor 2>/dev/null; iptables -w 5 -A swl-doctor ${args} && iptables -w 5 -F swl-doctor; iptables -w 5 -X swl-doctor`;
    facts.faultRoutes = {
      netem: await probe("tc qdisc add dev lo root netem delay 0ms && tc qdisc del dev lo root"),
      statistic: await probe(ipt("-m statistic --mode random --probability 0.5 -j RETURN")),
      hashlimit: await probe(ipt("-m hashlimit --hashlimit-above 1000b/s --hashlimit-name swldoc -j RETURN")),
      TEE: await probe("iptables -w 5 -t mangle -N swl-doctor 2>/dev/null; iptables -w 5 -t mangle -A swl-doctor -j TEE --gateway 127.0.0.1 && iptables -w 5 -t mangle -F swl-doctor; iptables -w 5 -t mangle -X swl-doctor"),
      NFQUEUE: await probe(ipt("-j NFQUEUE --queue-num 999 --queue-bypass")),
    };
    const caps = await first.exec(["sh", "-c", "grep CapEff /proc/1/status | awk '{print $2}'"], { allowFailure: true }).catch(() => ({ stdout: "" }));
    if (caps.stdout.trim()) facts.hostRiskyCaps = riskyCapsIn(caps.stdout);
    // The lab's IPVS fact from inside a host, where the swarm actually runs.
    for (const from of lab.nodes) {
      for (const to of lab.nodes) {
        if (from === to) continue;
        for (const port of [2377, 7946]) {
          const r = await from.exec(["sh", "-c", `timeout 3 bash -c '</dev/tcp/${to.address}/${port}' 2>/dev/null`], { allowFailure: true }).catch(() => ({ exitCode: 1 }));
          facts.portProbes[`${from.name}->${to.name} ${port}/tcp`] = r.exitCode === 0;
        }
      }
    }
  }
  return facts;
}

export async function runDoctor(labName: string): Promise<Check[]> {
  return verdicts(await gatherFacts(labName));
}

export function renderDoctor(checks: Check[]): string {
  const t = table(["CHECK", "VERDICT", "DETAIL"], { colWidths: [14, 9, 90], wordWrap: true });
  for (const c of checks) t.push([c.name, c.verdict.toUpperCase(), c.detail]);
  return t.toString();
}
