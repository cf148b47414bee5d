import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import {
  decideHostMode,
  engineProblems,
  formatProblem,
  parseEngineVersion,
  remoteDockerHost,
  securityOptions,
  MIN_ENGINE,
  type EngineInfo,
  type EngineVersion,
  type LocalMachine,
} from "../../src/hosts/dind/host-mode.js";

interface Fixture {
  _source: string;
  _derived?: boolean;
  _assumed?: string[];
  info: EngineInfo;
  version: EngineVersion | null;
}

const dir = new URL("../fixtures/docker-info/", import.meta.url);
const fixtures: Record<string, Fixture> = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(new URL(f, dir), "utf8")) as Fixture]),
);
const fx = (name: string): Fixture => {
  const f = fixtures[name];
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
};

/** A local Linux machine that is the engine's own (same kernel, same name). */
const sameMachine = (f: Fixture): LocalMachine => ({ hostname: f.info.Name ?? "", platform: "linux", kernelRelease: f.info.KernelVersion });

describe("the docker info fixtures", () => {
  it("each says where it came from", () => {
    for (const [name, f] of Object.entries(fixtures)) {
      expect(f._source.length, name).toBeGreaterThan(40);
      expect(f.info.ServerVersion, name).toBeTruthy();
    }
  });

  it("cover cgroup v1 and v2 of every release line from 20.10 to 28", () => {
    const seen = new Set(
      Object.values(fixtures)
        .filter((f) => f.info.CgroupVersion)
        .map((f) => `${parseEngineVersion(f.info.ServerVersion)![0]}/v${f.info.CgroupVersion}`),
    );
    for (const major of [20, 23, 24, 25, 26, 27, 28]) {
      expect(seen, `${major} on cgroup v1`).toContain(`${major}/v1`);
      expect(seen, `${major} on cgroup v2`).toContain(`${major}/v2`);
    }
  });
});

describe("decideHostMode", () => {
  const v2 = Object.keys(fixtures).filter((n) => fixtures[n]!.info.CgroupVersion === "2");
  const v1 = Object.keys(fixtures).filter((n) => fixtures[n]!.info.CgroupVersion === "1");

  it.each(v2)("%s: privileged with nested cgroups", (name) => {
    const d = decideHostMode(fx(name).info);
    expect(d.mode).toBe("privileged");
    expect(d.cgroup).toBe("v2");
    expect(d.why).toMatch(/--privileged/);
    expect(d.why).toMatch(/hack\/dind/);
  });

  it.each(v1)("%s: the capability recipe", (name) => {
    const d = decideHostMode(fx(name).info);
    expect(d.mode).toBe("capabilities");
    expect(d.cgroup).toBe("v1");
    expect(d.why).toMatch(/SYS_RESOURCE/);
  });

  it.each([
    "20.10.12-v1-ubuntu20.04",
    "20.10.24-v1-debian12-this-machine",
    "20.10.17-v2-ubuntu22.04",
    "23.0.6-v1-ubuntu18.04-aufs",
    "23.0.0-v2-ubuntu22.04",
    "24.0.5-v2-ubuntu22.04",
    "24.0.9-v1-derived",
    "25.0.16-v1-amazonlinux2",
    "25.0.0-v2-dind-alpine-linuxkit",
    "26.1.3-v2-github-actions-ubuntu22.04",
    "26.1.4-v1-centos7",
    "27.5.1-v1-derived",
    "27.5.1-v2-ubuntu24.04",
    "28.0.4-v1-derived",
    "28.0.4-v2-centos-stream9",
    "28.1.1-v2-ubuntu24.04",
    "24.0.6-v2-docker-desktop-macos",
  ])("%s: no warnings", (name) => {
    expect(decideHostMode(fx(name).info).warnings).toEqual([]);
  });

  it("an engine older than 20.10 does not report its cgroup version: v1 is assumed, and said", () => {
    for (const name of ["1.12.6-v1-ubuntu16.04", "19.03.13-v1-ubuntu20.04"]) {
      const d = decideHostMode(fx(name).info);
      expect(d.mode).toBe("capabilities");
      expect(d.why).toMatch(/assumed/);
      expect(d.warnings.join("\n")).toMatch(/does not report CgroupVersion.*20\.10.*API 1\.41/);
    }
  });

  it("rootless engines are decided by their cgroup version, with a warning (and no cgroups at all when the driver is none)", () => {
    const v1 = decideHostMode(fx("20.10.5-rootless-v1-ubuntu20.04").info);
    expect(v1.mode).toBe("capabilities");
    expect(v1.warnings.join("\n")).toMatch(/rootless/);
    expect(v1.warnings.join("\n")).toMatch(/CgroupDriver none/);
    const v2 = decideHostMode(fx("24.0.7-rootless-v2-debian12").info);
    expect(v2.mode).toBe("privileged");
    expect(v2.warnings).toHaveLength(1);
    expect(v2.warnings[0]).toMatch(/user namespace/);
  });

  it("a cgroup v2 engine whose default cgroup namespace is the host's says the nesting needs CgroupnsMode=private", () => {
    const info = { ...fx("23.0.0-v2-ubuntu22.04").info, SecurityOptions: ["name=apparmor", "name=seccomp,profile=builtin"] };
    const d = decideHostMode(info);
    expect(d.mode).toBe("privileged");
    expect(d.warnings.join("\n")).toMatch(/CgroupnsMode=private/);
  });

  it("user-namespace remapping, a containerized engine and SELinux on v1 are warned about", () => {
    const base = fx("20.10.12-v1-ubuntu20.04").info;
    expect(decideHostMode({ ...base, SecurityOptions: [...(base.SecurityOptions ?? []), "name=userns"] }).warnings.join("\n")).toMatch(/UsernsMode=host/);
    expect(decideHostMode({ ...base, OperatingSystem: "Alpine Linux v3.20 (containerized)" }).warnings.join("\n")).toMatch(/third level of nesting/);
    expect(decideHostMode({ ...fx("26.1.4-v1-centos7").info, SecurityOptions: ["name=seccomp,profile=builtin", "name=selinux"] }).warnings.join("\n")).toMatch(/SELinux/);
  });

  it("Docker 29 on cgroup v1 carries moby's deprecation", () => {
    const d = decideHostMode({ ...fx("28.0.4-v1-derived").info, ServerVersion: "29.0.0" });
    expect(d.mode).toBe("capabilities");
    expect(d.warnings.join("\n")).toMatch(/deprecates cgroup v1.*May 2029/);
  });
});

describe("engineProblems", () => {
  const fine = Object.keys(fixtures).filter(
    (n) =>
      !/^(1\.12|19\.03)|rootless|desktop|orbstack|windows/.test(n),
  );

  it.each(fine)("%s: no problems on its own machine", (name) => {
    const f = fx(name);
    expect(engineProblems(f.info, f.version, sameMachine(f))).toEqual([]);
  });

  it("Docker 1.12.6 is too old: names the minimum, the API and what is missing", () => {
    const f = fx("1.12.6-v1-ubuntu16.04");
    const ps = engineProblems(f.info, f.version);
    expect(ps.map((p) => [p.code, p.severity])).toEqual([["too-old", "fatal"]]);
    expect(ps[0]!.reason).toMatch(/Docker 1\.12\.6 is older than the lab's minimum, Docker 20\.10 \(API 1\.41\)/);
    expect(ps[0]!.reason).toMatch(/cgroup v2/);
    expect(ps[0]!.reason).toMatch(/device cgroup rules \(17\.04, API 1\.28\)/);
    expect(ps[0]!.fix).toMatch(/upgrade/);
  });

  it("Docker 19.03 is too old, for cgroup v2 and CgroupVersion, not for device rules", () => {
    const f = fx("19.03.13-v1-ubuntu20.04");
    const [p, ...rest] = engineProblems(f.info, f.version);
    expect(rest).toEqual([]);
    expect(p!.code).toBe("too-old");
    expect(p!.reason).toMatch(/19\.03\.13/);
    expect(p!.reason).toMatch(/CgroupVersion/);
    expect(p!.reason).not.toMatch(/17\.04/);
  });

  it("an engine known only by its API version is judged by it", () => {
    const ps = engineProblems({}, { ApiVersion: "1.40" });
    expect(ps.map((p) => p.code)).toEqual(["too-old"]);
    expect(ps[0]!.reason).toMatch(/API 1\.40/);
    expect(engineProblems({}, { ApiVersion: MIN_ENGINE.api })).toEqual([]);
  });

  it("Debian's version strings parse (20.10.24+dfsg1 is new enough)", () => {
    expect(parseEngineVersion("20.10.24+dfsg1")).toEqual([20, 10]);
    expect(parseEngineVersion("19.03.6-ce")).toEqual([19, 3]);
    expect(parseEngineVersion("28.0.0-rc.1")).toEqual([28, 0]);
    expect(parseEngineVersion("v1.12.6")).toEqual([1, 12]);
    expect(parseEngineVersion("dev")).toBeNull();
  });

  it("rootless engines are fatal, with the rootful engine as the fix", () => {
    for (const name of ["20.10.5-rootless-v1-ubuntu20.04", "24.0.7-rootless-v2-debian12"]) {
      const f = fx(name);
      const ps = engineProblems(f.info, f.version, sameMachine(f));
      expect(ps.map((p) => [p.code, p.severity])).toEqual([["rootless", "fatal"]]);
      expect(ps[0]!.reason).toMatch(/name=rootless/);
      expect(ps[0]!.fix).toMatch(/docker context use default|DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock/);
    }
    const f = fx("20.10.5-rootless-v1-ubuntu20.04");
    expect(engineProblems(f.info, f.version)[0]!.reason).toMatch(/CgroupDriver none/);
  });

  it("Docker Desktop is limited: the engine is in a VM, ip route, /proc and apt see the wrong machine", () => {
    const f = fx("24.0.6-v2-docker-desktop-macos");
    const mac: LocalMachine = { hostname: "my-mac", platform: "darwin", kernelRelease: "24.1.0" };
    const ps = engineProblems(f.info, f.version, mac);
    expect(ps.map((p) => [p.code, p.severity])).toEqual([["desktop", "limited"]]);
    expect(ps[0]!.reason).toMatch(/Docker Desktop: the engine runs in a Linux VM \(kernel 6\.4\.16-linuxkit\)/);
    expect(ps[0]!.reason).toMatch(/ip route/);
    expect(ps[0]!.reason).toMatch(/\/proc/);
    // Desktop is recognised without knowing this machine, and also by its label alone.
    expect(engineProblems(f.info, f.version).map((p) => p.code)).toEqual(["desktop"]);
    const labelled = { ...f.info, OperatingSystem: "Ubuntu 22.04", Labels: ["com.docker.desktop.address=unix:///Users/me/Library/Containers/com.docker.docker/Data/docker-cli.sock"] };
    expect(engineProblems(labelled, null).map((p) => p.code)).toEqual(["desktop"]);
  });

  it("OrbStack is a desktop VM too", () => {
    const f = fx("28.5.2-v2-orbstack-macos");
    const ps = engineProblems(f.info, f.version, { hostname: "mac", platform: "darwin" });
    expect(ps.map((p) => p.code)).toEqual(["desktop"]);
    expect(ps[0]!.reason).toMatch(/^OrbStack/);
  });

  it("Windows containers are fatal", () => {
    const f = fx("23.0.3-windows-server2022");
    const ps = engineProblems(f.info, f.version);
    expect(ps.map((p) => [p.code, p.severity])).toEqual([["not-linux", "fatal"]]);
    expect(ps[0]!.reason).toMatch(/windows containers/);
  });

  describe("remote engines", () => {
    const f = fx("20.10.24-v1-debian12-this-machine");
    const here = sameMachine(f);

    it("DOCKER_HOST over tcp or ssh to another host", () => {
      for (const dockerHost of ["tcp://10.1.2.3:2375", "ssh://me@build-box", "tcp://[fd00::5]:2376"]) {
        const ps = engineProblems(f.info, f.version, { ...here, dockerHost });
        expect(ps.map((p) => [p.code, p.severity])).toEqual([["remote", "limited"]]);
        expect(ps[0]!.reason).toContain(`DOCKER_HOST=${dockerHost}`);
        expect(ps[0]!.reason).toMatch(/ip route.*\/proc/);
      }
    });

    it("a local DOCKER_HOST is not remote", () => {
      for (const dockerHost of ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://localhost:2375"]) {
        expect(engineProblems(f.info, f.version, { ...here, dockerHost })).toEqual([]);
      }
    });

    it("another kernel or another platform means another machine", () => {
      expect(engineProblems(f.info, f.version, { ...here, kernelRelease: "6.8.0-64-generic" })[0]!.reason).toMatch(
        /kernel 6\.18\.44-fc-v595 is not this machine's 6\.8\.0-64-generic/,
      );
      expect(engineProblems(f.info, f.version, { ...here, platform: "darwin" })[0]!.reason).toMatch(/this machine is darwin/);
      // A dind engine inside Docker Desktop's VM, reached from a Linux laptop: the kernel tells.
      const dind = fx("25.0.0-v2-dind-alpine-linuxkit");
      expect(engineProblems(dind.info, dind.version, { hostname: "laptop", platform: "linux", kernelRelease: "6.1.0-13-amd64" }).map((p) => p.code)).toEqual(["remote"]);
    });

    it("the same kernel under another host name: probably a container beside the engine", () => {
      const ps = engineProblems(f.info, f.version, { ...here, hostname: "a1b2c3d4e5f6" });
      expect(ps.map((p) => p.code)).toEqual(["remote"]);
      expect(ps[0]!.reason).toMatch(/in a container beside the engine/);
    });
  });

  it("a docker CLI older than the engine's minimum API (Docker 29 raised it to 1.44)", () => {
    const f = fx("28.1.1-v2-ubuntu24.04");
    const v29 = { ...f.version, Version: "29.0.0", ApiVersion: "1.52", MinAPIVersion: "1.44" };
    const ps = engineProblems({ ...f.info, ServerVersion: "29.0.0" }, v29, { ...sameMachine(f), clientApiVersion: "1.41" });
    expect(ps.map((p) => [p.code, p.severity])).toEqual([["client-too-old", "fatal"]]);
    expect(ps[0]!.fix).toMatch(/DOCKER_MIN_API_VERSION=1\.41/);
    expect(engineProblems({ ...f.info, ServerVersion: "29.0.0" }, v29, { ...sameMachine(f), clientApiVersion: "1.50" })).toEqual([]);
  });

  it("user-namespace remapping is fatal", () => {
    const f = fx("27.5.1-v2-ubuntu24.04");
    const ps = engineProblems({ ...f.info, SecurityOptions: [...(f.info.SecurityOptions ?? []), "name=userns"] }, f.version, sameMachine(f));
    expect(ps.map((p) => p.code)).toEqual(["userns-remap"]);
  });

  it("Podman behind the Docker API is not Docker Engine", () => {
    const ps = engineProblems({ ServerVersion: "4.9.3", OSType: "linux" }, { Version: "4.9.3", ApiVersion: "1.41", Components: [{ Name: "Podman Engine", Version: "4.9.3" }] });
    expect(ps.map((p) => [p.code, p.severity])).toEqual([["not-docker", "fatal"]]);
    expect(ps[0]!.reason).toMatch(/Podman Engine 4\.9\.3/);
  });

  it("every problem formats to one line with its fix", () => {
    const all = Object.values(fixtures).flatMap((f) => engineProblems(f.info, f.version, { hostname: "elsewhere", platform: "darwin", dockerHost: "tcp://10.9.9.9:2375" }));
    expect(all.length).toBeGreaterThan(5);
    for (const p of all) {
      const line = formatProblem(p);
      expect(line).not.toMatch(/\n/);
      expect(line).toContain(". Fix: ");
    }
  });
});

describe("helpers", () => {
  it("securityOptions reads both spellings", () => {
    expect([...securityOptions({ SecurityOptions: ["apparmor", "seccomp"] }).keys()]).toEqual(["apparmor", "seccomp"]);
    const o = securityOptions({ SecurityOptions: ["name=seccomp,profile=builtin", "name=cgroupns"] });
    expect(o.get("seccomp")).toEqual({ name: "seccomp", profile: "builtin" });
    expect(o.has("cgroupns")).toBe(true);
    expect(securityOptions({ SecurityOptions: null }).size).toBe(0);
  });

  it("remoteDockerHost", () => {
    expect(remoteDockerHost(undefined)).toBeUndefined();
    expect(remoteDockerHost("unix:///run/user/1000/docker.sock")).toBeUndefined();
    expect(remoteDockerHost("tcp://[::1]:2375")).toBeUndefined();
    expect(remoteDockerHost("ssh://root@10.0.0.7")).toBe("10.0.0.7");
    expect(remoteDockerHost("tcp://Docker-Box:2376")).toBe("docker-box");
  });
});
