import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { EngineInfo, EngineVersion } from "../../src/hosts/dind/host-mode.js";
import { engineProblems } from "../../src/hosts/dind/host-mode.js";
import { baseBuildBlocker, commandPath, engineLocality, FACILITIES, type MachineFacts } from "../../src/engine/locality.js";
import { probeThisMachine, verdicts, type DoctorFacts } from "../../src/checks/doctor.js";
import { noEngineMessage, refusedProblems } from "../../src/engine/engine.js";
import { benchMachine, memorySource, statsMemoryBytes } from "../../src/bench/bench.js";

interface Fixture {
  info: EngineInfo;
  version: EngineVersion | null;
}
const fx = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../fixtures/docker-info/${name}.json`, import.meta.url), "utf8")) as Fixture;

const thisKind = fx("20.10.24-v1-debian12-this-machine");
const desktop = fx("24.0.6-v2-docker-desktop-macos");
const remoteUbuntu = fx("28.1.1-v2-ubuntu24.04");

/** A fake file system: only the listed paths exist; every path asked is recorded. */
function fakeFs(paths: string[]): { exists: (p: string) => boolean; asked: string[] } {
  const asked: string[] = [];
  const set = new Set(paths);
  return { asked, exists: (p) => (asked.push(p), set.has(p)) };
}

const DEBIAN_PATHS = ["/proc/self/status", "/etc/debian_version", "/usr/bin/apt-get", "/usr/sbin/ip", "/usr/sbin/debootstrap"];

/** This kind of machine: Debian 12, the engine's own kernel and host name. */
const debianHere = (fs = fakeFs(DEBIAN_PATHS), dockerHost?: string): MachineFacts => ({
  hostname: thisKind.info.Name!,
  platform: "linux",
  kernelRelease: thisKind.info.KernelVersion,
  dockerHost,
  exists: fs.exists,
  path: ["/usr/local/bin", "/usr/bin"],
});

/** A Mac with Docker Desktop: no /proc, no apt, no debootstrap, no ip. */
const macHere = (fs = fakeFs(["/usr/bin/ssh", "/usr/local/bin/docker"])): MachineFacts => ({
  hostname: "my-mac",
  platform: "darwin",
  kernelRelease: "24.1.0",
  exists: fs.exists,
  path: ["/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"],
});

const NOT_HERE = /^not available here: [^\n]+; [^\n]+$/;

describe("engineLocality", () => {
  it("this kind of machine (Debian 12, its own engine): local, every facility available", () => {
    const l = engineLocality(thisKind.info, debianHere());
    expect(l.place).toBe("local");
    expect(l.local).toBe(true);
    expect(l.why).toMatch(/runs on this machine \(kernel 6\.18\.44-fc-v595, host lab-machine\)/);
    for (const k of FACILITIES) expect(l.facilities[k].available, k).toBe(true);
    expect(l.facilities["ip-route"].detail).toMatch(/^\/usr\/sbin\/ip -4 route/);
    expect(l.facilities.debootstrap.detail).toMatch(/^\/usr\/sbin\/debootstrap: /);
  });

  it("Docker Desktop on macOS: the engine is in a VM; no facility of this machine applies", () => {
    const l = engineLocality(desktop.info, macHere());
    expect(l.place).toBe("desktop");
    expect(l.local).toBe(false);
    expect(l.why).toMatch(/^Docker Desktop runs the engine in a Linux VM \(kernel 6\.4\.16-linuxkit\), not on this machine \(darwin\)$/);
    for (const k of FACILITIES) {
      expect(l.facilities[k].available, k).toBe(false);
      expect(l.facilities[k].detail, k).toMatch(NOT_HERE);
    }
    expect(l.facilities.procfs.detail).toMatch(/this machine \(darwin\) has no \/proc; memory figures come from the engine's API/);
    expect(l.facilities["ip-route"].detail).toMatch(/routes are not the engine's; the subnet check sees docker networks only/);
    expect(l.facilities.debootstrap.detail).toBe("not available here: debootstrap needs Linux, this machine is darwin; build the base elsewhere or use --images upstream (the base pulled from a registry, no debootstrap)");
    expect(l.facilities["volume-paths"].detail).toMatch(/`docker load`/);
    // The VM's bridges are not routed from macOS: the hosts are reached through the engine.
    expect(l.facilities["lab-routes"].detail).toMatch(/the lab's bridge is there, not routed from here; the hosts' engines and published ports are reached through the engine \(docker exec: docker system dial-stdio, socat\)/);
  });

  it("a remote engine over tcp://: this Linux machine's /proc, routes and volume paths are not the engine's; apt and debootstrap still run here", () => {
    const l = engineLocality(remoteUbuntu.info, debianHere(undefined, "tcp://10.1.2.3:2375"));
    expect(l.place).toBe("remote");
    expect(l.local).toBe(false);
    expect(l.why).toBe("the engine is not on this machine: DOCKER_HOST=tcp://10.1.2.3:2375 points at 10.1.2.3");
    expect(l.facilities.procfs).toMatchObject({ available: false });
    expect(l.facilities.procfs.detail).toMatch(/^not available here: the engine is on another machine \(DOCKER_HOST=tcp:\/\/10\.1\.2\.3:2375 points at 10\.1\.2\.3\): this machine's \/proc shows its own processes/);
    expect(l.facilities["ip-route"]).toMatchObject({ available: false });
    expect(l.facilities["volume-paths"]).toMatchObject({ available: false });
    expect(l.facilities["lab-routes"]).toMatchObject({ available: false });
    expect(l.facilities.apt).toMatchObject({ available: true });
    expect(l.facilities.apt.detail).toMatch(/on this machine only/);
    expect(l.facilities.debootstrap).toMatchObject({ available: true });
    expect(l.facilities.debootstrap.detail).toMatch(/docker import.*engine elsewhere too/);
  });

  it("reuses host-mode's detection: the same engine is remote by kernel or host name, as engineProblems says", () => {
    const here = { ...debianHere(), kernelRelease: "6.8.0-64-generic" };
    expect(engineLocality(thisKind.info, here).place).toBe("remote");
    expect(engineProblems(thisKind.info, thisKind.version, here).map((p) => p.code)).toEqual(["remote"]);
    expect(engineLocality(thisKind.info, { ...debianHere(), hostname: "a1b2c3d4e5f6" }).why).toMatch(/container beside the engine/);
    // A local DOCKER_HOST is still this machine.
    expect(engineLocality(thisKind.info, debianHere(undefined, "unix:///var/run/docker.sock")).local).toBe(true);
  });

  it("without an engine: local on Linux (the one the lab would start), elsewhere with a remote DOCKER_HOST or on macOS", () => {
    expect(engineLocality(undefined, debianHere())).toMatchObject({ place: "local", local: true, engineKnown: false });
    const r = engineLocality(undefined, debianHere(undefined, "ssh://me@build-box"));
    expect(r).toMatchObject({ place: "remote", local: false });
    expect(r.why).toMatch(/no engine answers at DOCKER_HOST=ssh:\/\/me@build-box \(on build-box\)/);
    const m = engineLocality(undefined, macHere());
    expect(m.local).toBe(false);
    expect(m.facilities.procfs.detail).toMatch(NOT_HERE);
  });

  it("a local Linux engine without the `ip` command: the subnet check falls back to docker networks and says how to get it", () => {
    const l = engineLocality(thisKind.info, debianHere(fakeFs(DEBIAN_PATHS.filter((p) => p !== "/usr/sbin/ip"))));
    expect(l.local).toBe(true);
    expect(l.facilities["ip-route"].available).toBe(false);
    expect(l.facilities["ip-route"].detail).toMatch(/^not available here: no `ip` command.*; apt-get install iproute2/);
  });

  it("every line is one line", () => {
    for (const l of [engineLocality(thisKind.info, debianHere()), engineLocality(desktop.info, macHere()), engineLocality(remoteUbuntu.info, debianHere(undefined, "tcp://10.1.2.3:2375"))]) {
      expect(l.why).not.toMatch(/\n/);
      for (const k of FACILITIES) expect(l.facilities[k].detail).not.toMatch(/\n/);
    }
  });

  it("commandPath searches $PATH, then the system folders", () => {
    const here = { ...debianHere(fakeFs(["/opt/tools/ip", "/usr/sbin/ip"])), path: ["/opt/tools"] };
    expect(commandPath("ip", here)).toBe("/opt/tools/ip");
    expect(commandPath("debootstrap", here)).toBeUndefined();
  });
});

describe("the image base (setup)", () => {
  it("on macOS: one line, the platform and the way out", () => {
    expect(baseBuildBlocker(macHere())).toBe("debootstrap is not available here (darwin): build the base elsewhere or use --images upstream (the base pulled from a registry, no debootstrap)");
    expect(baseBuildBlocker({ ...macHere(), platform: "win32" })).toMatch(/^debootstrap is not available here \(win32\): /);
  });
  it("on Linux without debootstrap: how to install it", () => {
    expect(baseBuildBlocker(debianHere(fakeFs(["/usr/bin/apt-get"])))).toMatch(/^debootstrap is not installed on this machine: apt-get install debootstrap/);
  });
  it("on Linux with debootstrap: nothing in the way, whatever the engine", () => {
    expect(baseBuildBlocker(debianHere(undefined, "tcp://10.1.2.3:2375"))).toBeUndefined();
  });
});

describe("doctor on each kind of engine", () => {
  const procStatus = "Name:\tnode\nCapBnd:\t000001fffeffffff\n";
  const io = (fs: { exists: (p: string) => boolean; asked: string[] }) => {
    const read: string[] = [];
    return {
      read,
      exists: fs.exists,
      readFile: (p: string) => {
        read.push(p);
        if (p === "/proc/self/status") return procStatus;
        if (p === "/proc/sys/kernel/cap_last_cap") return "40\n";
        throw new Error(`ENOENT: ${p}`);
      },
    };
  };

  const facts = (where: ReturnType<typeof engineLocality>, info: EngineInfo, extra: Partial<DoctorFacts> = {}): DoctorFacts => ({
    engineAnswers: true,
    engineVersion: info.ServerVersion,
    isRoot: true,
    debianLike: where.facilities.apt.available,
    cgroupVersion: info.CgroupVersion,
    labExists: false,
    portProbes: {},
    locality: where,
    memTotalBytes: 8 * 2 ** 30,
    ...extra,
  });

  const byName = (checks: ReturnType<typeof verdicts>) => Object.fromEntries(checks.map((c) => [c.name, c]));

  it("local Linux: reads /proc for the bounding set; the facilities are listed as ok", () => {
    const fs = fakeFs([...DEBIAN_PATHS, "/proc/net/ip_vs"]);
    const where = engineLocality(thisKind.info, debianHere(fs));
    const r = io(fs);
    const probed = probeThisMachine(where, r);
    expect(probed).toEqual({ missingCaps: [24], ipvs: true, cgroupVersion: "1" });
    expect(r.read).toEqual(["/proc/self/status", "/proc/sys/kernel/cap_last_cap"]);
    const c = byName(verdicts(facts(where, thisKind.info, { ...probed, vxlanModule: true })));
    expect(c["engine place"]).toMatchObject({ verdict: "ok" });
    for (const name of ["/proc", "ip route", "apt", "debootstrap", "image cache"]) expect(c[name], name).toMatchObject({ verdict: "ok" });
    expect(c.capabilities!.detail).toMatch(/--privileged fails/);
    expect(c.ipvs).toMatchObject({ verdict: "ok" });
    expect(c.subnet!.detail).toBe("the compose file's subnet is free");
    expect(c.memory!.detail).toMatch(/^the engine has 8\.0 GiB \(docker info MemTotal\)/);
  });

  it("Docker Desktop on macOS: reads no /proc path at all; each facility says not available here and why", () => {
    const fs = fakeFs(["/usr/local/bin/docker"]);
    const where = engineLocality(desktop.info, macHere(fs));
    const r = io(fs);
    expect(probeThisMachine(where, r)).toEqual({});
    expect(r.read).toEqual([]);
    expect(fs.asked.filter((p) => p.startsWith("/proc") || p.startsWith("/sys"))).toEqual([]);
    const checks = verdicts(facts(where, desktop.info, { platform: "darwin" }));
    const c = byName(checks);
    expect(checks.some((x) => x.verdict === "fail")).toBe(false);
    expect(c["engine place"]).toMatchObject({ verdict: "info" });
    expect(c["engine place"]!.detail).toMatch(/Docker Desktop runs the engine in a Linux VM/);
    for (const name of ["/proc", "ip route", "apt", "image cache"]) {
      expect(c[name], name).toMatchObject({ verdict: "info" });
      expect(c[name]!.detail, name).toMatch(NOT_HERE);
    }
    expect(c.debootstrap).toMatchObject({ verdict: "warn" });
    expect(c.debootstrap!.detail).toMatch(/build the base elsewhere or use --images upstream \(the base pulled from a registry, no debootstrap\)/);
    expect(c.capabilities).toMatchObject({ verdict: "info" });
    expect(c.capabilities!.detail).toMatch(/not available here: this machine \(darwin\) has no \/proc/);
    expect(c.vxlan).toMatchObject({ verdict: "info" });
    expect(c.ipvs).toMatchObject({ verdict: "info" });
    expect(c.subnet!.detail).toMatch(/\(docker networks only: ip route is not available here\)/);
    expect(c.memory!.detail).toMatch(/its VM's, not this machine's/);
  });

  it("a remote tcp:// engine: this machine's /proc is not read either; memory is the remote machine's", () => {
    const fs = fakeFs(DEBIAN_PATHS);
    const here = debianHere(fs, "tcp://10.1.2.3:2375");
    const where = engineLocality(remoteUbuntu.info, here);
    const r = io(fs);
    expect(probeThisMachine(where, r)).toEqual({});
    expect(r.read).toEqual([]);
    const c = byName(verdicts(facts(where, remoteUbuntu.info, { platform: "linux", dockerHost: here.dockerHost, problems: engineProblems(remoteUbuntu.info, remoteUbuntu.version, here) })));
    expect(c["engine problem"]).toBeUndefined(); // remote is limited, not fatal
    expect(c["engine place"]!.detail).toMatch(/points at 10\.1\.2\.3/);
    expect(c["/proc"]).toMatchObject({ verdict: "info" });
    expect(c["ip route"]).toMatchObject({ verdict: "info" });
    expect(c["image cache"]).toMatchObject({ verdict: "info" });
    expect(c.apt).toMatchObject({ verdict: "ok" });
    expect(c.debootstrap).toMatchObject({ verdict: "ok" });
    expect(c.memory!.detail).toMatch(/its machine's, not this machine's/);
  });

  it("an engine too old is a failing check with the minimum and why", () => {
    const old = fx("19.03.13-v1-ubuntu20.04");
    const where = engineLocality(old.info, { ...debianHere(), hostname: old.info.Name!, kernelRelease: old.info.KernelVersion });
    const c = verdicts(facts(where, old.info, { problems: engineProblems(old.info, old.version) })).find((x) => x.name === "engine problem")!;
    expect(c.verdict).toBe("fail");
    expect(c.detail).toMatch(/older than the lab's minimum, Docker 20\.10 \(API 1\.41\): no cgroup v2 support.*\. Fix: upgrade/);
  });

  it("no engine with DOCKER_HOST set is a failure even as root on Debian (the lab never starts a local one then)", () => {
    const c = verdicts({ ...facts(engineLocality(undefined, debianHere()), {}), engineAnswers: false, dockerHost: "tcp://10.1.2.3:2375", memTotalBytes: undefined }).find((x) => x.name === "engine")!;
    expect(c.verdict).toBe("fail");
    expect(c.detail).toMatch(/^no Docker engine answers at DOCKER_HOST=tcp:\/\/10\.1\.2\.3:2375/);
  });
});

describe("what ensureEngine says", () => {
  it("refuses only an engine older than the minimum (the other problems are logged)", () => {
    const old = fx("19.03.13-v1-ubuntu20.04");
    const refused = refusedProblems(engineProblems(old.info, old.version));
    expect(refused.map((p) => p.code)).toEqual(["too-old"]);
    expect(refused[0]!.reason).toMatch(/Docker 19\.03\.13 is older than the lab's minimum, Docker 20\.10 \(API 1\.41\): no cgroup v2 support in dockerd and no CgroupVersion in \/info/);
    expect(refusedProblems(engineProblems(desktop.info, desktop.version, macHere()))).toEqual([]);
    expect(refusedProblems(engineProblems(thisKind.info, thisKind.version, debianHere()))).toEqual([]);
  });

  it("a tcp:// DOCKER_HOST to another machine that refuses: what was tried, what came back, and the fix", () => {
    const m = noEngineMessage({ dockerHost: "tcp://10.1.2.3:2375", error: "ECONNREFUSED: connect ECONNREFUSED 10.1.2.3:2375", platform: "linux", isRoot: true, debianLike: true });
    expect(m.message).toBe("no Docker engine answers at DOCKER_HOST=tcp://10.1.2.3:2375 (tried over tcp to 10.1.2.3:2375 for 3 s: refused: nothing listens there (ECONNREFUSED: connect ECONNREFUSED 10.1.2.3:2375))");
    expect(m.hint).toMatch(/^start dockerd on 10\.1\.2\.3 with a TCP listener \(dockerd -H tcp:\/\/0\.0\.0\.0:2375.*or use DOCKER_HOST=ssh:\/\/user@10\.1\.2\.3, or unset DOCKER_HOST/);
  });

  it("a tcp:// DOCKER_HOST that does not answer at all", () => {
    const m = noEngineMessage({ dockerHost: "tcp://build-box:2376", error: "no answer within 3 s", platform: "darwin", isRoot: false, debianLike: false });
    expect(m.message).toMatch(/tried over tcp to build-box:2376 for 3 s: no route or no answer: the machine is down or a firewall drops it/);
  });

  it("an ssh:// DOCKER_HOST without an agent", () => {
    const m = noEngineMessage({ dockerHost: "ssh://me@build-box", error: "All configured authentication methods failed", platform: "linux", isRoot: false, debianLike: true, sshAgent: false });
    expect(m.message).toMatch(/tried over ssh to build-box for 3 s: the ssh login was refused/);
    expect(m.hint).toMatch(/^check that `ssh me@build-box docker version` works from here with a key in ssh-agent \(SSH_AUTH_SOCK is not set/);
  });

  it("a unix:// DOCKER_HOST, macOS without an engine, Linux without root", () => {
    expect(noEngineMessage({ dockerHost: "unix:///tmp/nope.sock", error: "connect ENOENT /tmp/nope.sock", platform: "linux", isRoot: true, debianLike: true }).message).toMatch(/tried on the socket \/tmp\/nope\.sock for 3 s: no such socket/);
    const mac = noEngineMessage({ platform: "darwin", isRoot: false, debianLike: false, error: "connect ENOENT /var/run/docker.sock" });
    expect(mac.message).toMatch(/^no Docker engine answers at \/var\/run\/docker\.sock or ~\/\.docker\/run\/docker\.sock/);
    expect(mac.hint).toMatch(/start Docker Desktop/);
    expect(noEngineMessage({ platform: "linux", isRoot: false, debianLike: true }).hint).toMatch(/run as root/);
    expect(noEngineMessage({ platform: "linux", isRoot: true, debianLike: false }).hint).toMatch(/not a Debian\/Ubuntu machine/);
  });

  it("every message and fix is one line", () => {
    for (const f of [
      { dockerHost: "tcp://10.1.2.3:2375", error: "x" },
      { dockerHost: "ssh://a@b", error: "y", sshAgent: false },
      { dockerHost: "tcp://localhost:2375" },
      { platform: "darwin" },
    ]) {
      const m = noEngineMessage({ platform: "linux", isRoot: false, debianLike: false, ...f });
      expect(m.message).not.toMatch(/\n/);
      expect(m.hint).not.toMatch(/\n/);
      expect(m.hint.length).toBeGreaterThan(10);
    }
  });
});

describe("bench memory and machine figures on an engine elsewhere", () => {
  it("container stats: usage less inactive file (cgroup v2 and v1 names), as docker stats", () => {
    expect(statsMemoryBytes({ memory_stats: { usage: 1000, stats: { inactive_file: 300 } } })).toBe(700);
    expect(statsMemoryBytes({ memory_stats: { usage: 1000, stats: { total_inactive_file: 100 } } })).toBe(900);
    expect(statsMemoryBytes({ memory_stats: { usage: 1000 } })).toBe(1000);
    expect(statsMemoryBytes({ memory_stats: {} })).toBe(0);
    expect(statsMemoryBytes(undefined)).toBe(0);
  });

  it("the figure comes from /proc here, from the engine's stats elsewhere (and says what v1 misses)", () => {
    const local = { locality: engineLocality(thisKind.info, debianHere()), info: thisKind.info };
    expect(memorySource(local)).toEqual({ from: "procfs" });
    const mac = memorySource({ locality: engineLocality(desktop.info, macHere()), info: desktop.info });
    expect(mac.from).toBe("stats");
    expect(mac.note).toMatch(/container stats/);
    expect(mac.note).not.toMatch(/cgroup v1/);
    const remoteV1 = memorySource({ locality: engineLocality(thisKind.info, debianHere(undefined, "tcp://10.1.2.3:2375")), info: thisKind.info });
    expect(remoteV1.note).toMatch(/on cgroup v1 the hosts' inner containers/);
  });

  it("cpus, memory and kernel are the engine's machine's when it is elsewhere", () => {
    const here = { cpus: 2, memBytes: 4 * 2 ** 30, kernel: "6.18.44-fc-v595" };
    expect(benchMachine({ locality: engineLocality(thisKind.info, debianHere()), info: thisKind.info, version: "20.10.24" }, here)).toEqual({ cpus: 2, memGiB: 4, kernel: "6.18.44-fc-v595", engine: "20.10.24" });
    const info = { ...desktop.info, NCPU: 8, MemTotal: 8 * 2 ** 30 };
    const m = benchMachine({ locality: engineLocality(info, macHere()), info, version: "24.0.6" }, here);
    expect(m).toMatchObject({ cpus: 8, memGiB: 8, kernel: "6.4.16-linuxkit", engine: "24.0.6" });
    expect(m.measuredOn).toMatch(/^the engine's VM \(docker info\), not this one/);
  });
});
