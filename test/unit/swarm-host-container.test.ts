/** SwarmHostContainer asks the engine for exactly what the lab's hosts always had (no engine is touched). */
import { describe, expect, it } from "vitest";
import type Docker from "dockerode";
import { SwarmHostContainer, type SwarmHostOptions } from "../../src/hosts/dind/swarm-host-container.js";
import { readCompose } from "../../src/hosts/compose.js";
import { DEFAULT_COMPOSE_FILE } from "../../src/hosts/dind/containers.js";

const spec = readCompose(DEFAULT_COMPOSE_FILE).hosts.find((h) => h.service === "docker1")!;

const options = (mode: SwarmHostOptions["mode"]): SwarmHostOptions => ({
  lab: "ci",
  spec,
  container: "ci-docker1",
  address: "192.168.77.201",
  network: "ci-labnet",
  subnet: "192.168.77.0/24",
  mode,
  registry: "192.168.77.201:5000",
  extraLabels: { "swarmlab.size": "3" },
  docker: {} as Docker,
});

const common = {
  name: "ci-docker1",
  Hostname: "docker1.htsec.com",
  Image: "swarmlab/dind:abc",
  Cmd: ["--host=tcp://0.0.0.0:2375", "--tls=false", "--insecure-registry=192.168.77.201:5000"],
  Labels: { "swarmlab.lab": "ci", "swarmlab.host": "docker1", "swarmlab.subnet": "192.168.77.0/24", "swarmlab.mode": "", "swarmlab.size": "3" },
  NetworkingConfig: { EndpointsConfig: { "ci-labnet": { IPAMConfig: { IPv4Address: "192.168.77.201" }, Aliases: ["docker1", "docker1.htsec.com"] } } },
};

describe("SwarmHostContainer's create request", () => {
  it("with the capability recipe: compose's capabilities, security options, device rules, cgroup bind and volume", () => {
    const r = new SwarmHostContainer("swarmlab/dind:abc", options("capabilities")).createRequest;
    expect(r).toMatchObject({ ...common, Labels: { ...common.Labels, "swarmlab.mode": "capabilities" } });
    expect(r.HostConfig).toEqual({
      AutoRemove: false,
      CapAdd: spec.capAdd,
      CapDrop: ["ALL"],
      SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
      MaskedPaths: [],
      ReadonlyPaths: [],
      DeviceCgroupRules: ["a *:* rwm"],
      Binds: ["/sys/fs/cgroup:/sys/fs/cgroup:rw", "ci-docker1-data:/var/lib/docker:rw"],
      NetworkMode: "ci-labnet",
      LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
    });
    expect(spec.capAdd).toContain("SYS_ADMIN");
    expect(spec.capAdd).not.toContain("SYS_TIME");
  });

  it("privileged: a private cgroup namespace, no capability lists, no cgroup bind", () => {
    const r = new SwarmHostContainer("swarmlab/dind:abc", options("privileged")).createRequest;
    expect(r).toMatchObject({ ...common, Labels: { ...common.Labels, "swarmlab.mode": "privileged" } });
    expect(r.HostConfig).toEqual({
      AutoRemove: false,
      Privileged: true,
      CgroupnsMode: "private",
      SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
      MaskedPaths: [],
      ReadonlyPaths: [],
      Binds: ["ci-docker1-data:/var/lib/docker:rw"],
      NetworkMode: "ci-labnet",
      LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
    });
  });

  it("drives the host it makes by its walkthrough name and lab address; Ryuk is off", () => {
    const c = new SwarmHostContainer("swarmlab/dind:abc", options("capabilities"));
    expect([c.host.name, c.host.id, c.host.address]).toEqual(["docker1", "ci-docker1", "192.168.77.201"]);
    // set by hosts/dind/testcontainers-env.ts, imported before testcontainers
    expect(process.env.TESTCONTAINERS_RYUK_DISABLED).toBe("true");
  });
});
