import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseCompose, interpolate } from "../../src/hosts/compose.js";
import { containerName, networkName, labLabels, validateLabName } from "../../src/hosts/naming.js";
import { chooseSubnet, rebase, parseCidr, overlaps } from "../../src/hosts/subnet.js";
import { engineNetworkInUse } from "../../src/hosts/dind/host-mode.js";

const composeText = readFileSync(new URL("../../docker-compose.dind.yml", import.meta.url), "utf8");

describe("docker-compose.dind.yml", () => {
  it("describes the walkthrough's three hosts", () => {
    const t = parseCompose(composeText, "docker-compose.dind.yml", {});
    expect(t.subnet).toBe("192.168.10.0/24");
    expect(t.hosts.map((h) => [h.service, h.hostname, h.address])).toEqual([
      ["docker1", "docker1.htsec.com", "192.168.10.201"],
      ["docker2", "docker2.htsec.com", "192.168.10.202"],
      ["docker3", "docker3.htsec.com", "192.168.10.203"],
    ]);
    // Least privilege: everything dropped, then only what dockerd inside and the faults need.
    expect(t.hosts[0]!.capDrop).toEqual(["ALL"]);
    expect(t.hosts[0]!.capAdd).toEqual(expect.arrayContaining(["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"]));
    for (const risky of ["SYS_TIME", "SYS_MODULE", "SYS_BOOT", "SYS_RAWIO", "ALL", "SYS_RESOURCE"]) expect(t.hosts[0]!.capAdd).not.toContain(risky);
    expect(t.hosts[0]!.binds).toContain("/sys/fs/cgroup:/sys/fs/cgroup:rw");
    expect(t.hosts[0]!.volumes).toEqual([["docker1-data", "/var/lib/docker"]]);
    expect(t.hosts[0]!.image).toBe("swarmlab/dind:latest");
  });
  it("interpolates ${VAR:-default}", () => {
    expect(interpolate("${X:-a}/${Y}", { Y: "b" })).toBe("a/b");
    expect(interpolate("${X:-a}", { X: "z" })).toBe("z");
  });
  it("names the file and the field when a host lacks an address", () => {
    const bad = composeText.replace("ipv4_address: 192.168.10.202", "ipv4_address: not-an-ip");
    expect(() => parseCompose(bad, "f.yml", {})).toThrow(/f\.yml: services\.docker2\.networks\.labnet\.ipv4_address/);
  });
});

describe("names and labels", () => {
  it("keeps the walkthrough's names for the default lab and prefixes others", () => {
    expect(containerName("swarmlab", "docker1")).toBe("docker1");
    expect(containerName("ci", "docker1")).toBe("ci-docker1");
    expect(networkName("ci", "labnet")).toBe("ci-labnet");
    expect(labLabels("ci", { a: "b" })).toEqual({ "swarmlab.lab": "ci", a: "b" });
  });
  it("refuses lab names docker would refuse", () => {
    expect(() => validateLabName("Bad Name")).toThrow(/not valid/);
  });
});

describe("subnet choice", () => {
  it("keeps the compose subnet when free", () => {
    expect(chooseSubnet("192.168.10.0/24", [{ cidr: "172.17.0.0/16", owner: "bridge" }])).toBe("192.168.10.0/24");
  });
  it("finds the next free /24 when taken and not explicit", () => {
    const used = [
      { cidr: "192.168.10.0/24", owner: "docker network swarmlab-labnet" },
      { cidr: "192.168.11.0/24", owner: "route via eth0" },
    ];
    expect(chooseSubnet("192.168.10.0/24", used)).toBe("192.168.12.0/24");
  });
  it("says who uses an explicitly asked subnet", () => {
    expect(() => chooseSubnet("192.168.0.0/16", [{ cidr: "192.168.10.0/24", owner: "docker network x" }], true)).toThrow(
      /in use by docker network x/,
    );
  });
  it("moves host addresses to the chosen subnet", () => {
    expect(rebase("192.168.10.201", parseCidr("192.168.10.0/24"), parseCidr("192.168.12.0/24"))).toBe("192.168.12.201");
    expect(overlaps(parseCidr("10.0.0.0/8"), parseCidr("10.1.0.0/16"))).toBe(true);
  });
});

describe("a remote engine's own network", () => {
  it("is in use: a lab other than the default skips it, the default lab is refused naming it", () => {
    const net = engineNetworkInUse("tcp://192.168.11.201:2375")!;
    expect(net.cidr).toBe("192.168.11.0/24");
    expect(net.owner).toMatch(/engine's own address 192\.168\.11\.201 \(DOCKER_HOST=tcp:\/\/192\.168\.11\.201:2375\)/);
    // The case seen: lab rx took 192.168.11.0/24 (its bridge on 192.168.11.1, the machine's gateway).
    expect(chooseSubnet("192.168.10.0/24", [{ cidr: "192.168.10.0/24", owner: "the default lab" }, net])).toBe("192.168.12.0/24");
    expect(() => chooseSubnet("192.168.11.0/24", [net], true)).toThrow(/in use by the network of the engine's own address 192\.168\.11\.201/);
  });

  it("is read from tcp:// and ssh:// with an IPv4 address; names, sockets and nothing give none", () => {
    expect(engineNetworkInUse("ssh://admin@10.1.2.3")?.cidr).toBe("10.1.2.0/24");
    expect(engineNetworkInUse("tcp://10.1.2.3")?.cidr).toBe("10.1.2.0/24");
    expect(engineNetworkInUse("tcp://docker.example:2376")).toBeUndefined();
    expect(engineNetworkInUse("unix:///var/run/docker.sock")).toBeUndefined();
    expect(engineNetworkInUse("tcp://300.1.2.3:2375")).toBeUndefined();
    expect(engineNetworkInUse(undefined)).toBeUndefined();
  });
});
