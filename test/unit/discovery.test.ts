import { describe, expect, it } from "vitest";
import { selectOwnAddress, parsePtrName, parseIpAddr } from "../../src/discovery/address.js";
import { decide, livePeers } from "../../src/discovery/discovery.js";
import { legacyClusterAddress, legacyOwnAddress, bashRemoveFirst } from "../../src/discovery/legacy.js";

// What a task with `-p 3306:3306 --network mynet` sees: ingress first, then gwbridge, then mynet.
const ingressFirst = [
  { ifname: "lo", address: "127.0.0.1" },
  { ifname: "eth0", address: "10.0.0.6" },
  { ifname: "eth1", address: "172.18.0.4" },
  { ifname: "eth2", address: "10.0.1.10" },
];
const ptr = [
  { address: "10.0.0.6", names: [] },
  { address: "172.18.0.4", names: [] },
  { address: "10.0.1.10", names: ["mysql-galera.2.kq1x9m3d7v1c.mynet"] },
];

describe("own address (overlay mode)", () => {
  it("skips ingress and gwbridge even when they come first", () => {
    expect(selectOwnAddress(ingressFirst, ptr)).toEqual({
      address: "10.0.1.10",
      network: "mynet",
      taskName: "mysql-galera.2.kq1x9m3d7v1c",
      service: "mysql-galera",
    });
  });
  it("takes the named network when the task is on two", () => {
    const two = [...ptr, { address: "10.0.2.3", names: ["mysql-galera.2.kq1x9m3d7v1c.backnet"] }];
    expect(selectOwnAddress([...ingressFirst, { ifname: "eth3", address: "10.0.2.3" }], two, "backnet").address).toBe("10.0.2.3");
  });
  it("fails with what it saw when no address is on an overlay", () => {
    expect(() => selectOwnAddress(ingressFirst.slice(0, 3), ptr)).toThrow(/no local address on a user-defined .* eth0=10\.0\.0\.6/);
  });
  it("reads PTR names and ip addr output", () => {
    expect(parsePtrName("web.1.abc.mynet")).toEqual({ taskName: "web.1.abc", service: "web", network: "mynet" });
    expect(parsePtrName("short.name")).toBeNull();
    expect(parseIpAddr("72: eth0    inet 10.0.1.50/24 brd 10.0.1.255 scope global eth0\\       valid_lft forever")).toEqual([
      { ifname: "eth0", address: "10.0.1.50" },
    ]);
  });
});

describe("peers and the bootstrap decision (overlay mode)", () => {
  it("de-duplicates, excludes itself exactly (10.0.1.1 is not 10.0.1.10) and sorts", () => {
    const peers = livePeers({
      self: "10.0.1.1",
      registrations: [{ address: "10.0.1.10" }, { address: "10.0.1.1" }, { address: "10.0.1.10" }, { address: "10.0.1.9" }],
    });
    expect(peers).toEqual(["10.0.1.9", "10.0.1.10"]);
  });
  it("drops stale keys: expired TTLs and tasks that no longer exist", () => {
    const peers = livePeers({
      self: "10.0.1.4",
      registrations: [{ address: "10.0.1.3", ttl: 12 }, { address: "10.0.1.5", ttl: 0 }, { address: "10.0.1.7", ttl: 20 }],
      liveTasks: ["10.0.1.3", "10.0.1.4", "10.0.1.5"],
    });
    expect(peers).toEqual(["10.0.1.3"]);
  });
  it("the winner of the atomic create bootstraps, naming the other tasks", () => {
    const d = decide({ self: "10.0.1.3", registrations: [], liveTasks: ["10.0.1.4", "10.0.1.3", "10.0.1.5"], wonBootstrap: true });
    expect(d).toEqual({ kind: "bootstrap", clusterAddress: "gcomm://10.0.1.4,10.0.1.5", peers: ["10.0.1.4", "10.0.1.5"] });
  });
  it("a loser waits until a member is registered, then joins it", () => {
    expect(decide({ self: "10.0.1.4", registrations: [], liveTasks: ["10.0.1.3", "10.0.1.4"], wonBootstrap: false }).kind).toBe("wait");
    const d = decide({ self: "10.0.1.4", registrations: [{ address: "10.0.1.3", ttl: 25 }], liveTasks: ["10.0.1.3", "10.0.1.4"], wonBootstrap: false });
    expect(d).toEqual({ kind: "join", clusterAddress: "gcomm://10.0.1.3", peers: ["10.0.1.3"] });
  });
  it("a replacement of a dead task joins the live members, not the dead one", () => {
    const d = decide({
      self: "10.0.1.8",
      registrations: [{ address: "10.0.1.3", ttl: 20 }, { address: "10.0.1.4", ttl: 3 }, { address: "10.0.1.5", ttl: 22 }],
      liveTasks: ["10.0.1.3", "10.0.1.5", "10.0.1.8"],
      wonBootstrap: false,
    });
    expect(d.kind === "join" && d.clusterAddress).toBe("gcomm://10.0.1.3,10.0.1.5");
  });
});

describe("legacy mode: the 2016 Percona entrypoint, defects included", () => {
  it("takes the first word of hostname -i", () => {
    expect(legacyOwnAddress("10.255.0.8 10.0.0.3\n")).toBe("10.255.0.8");
  });
  it("reproduces the walkthrough's address for own address 10.255.0.8", () => {
    const r = legacyClusterAddress({
      ownAddress: "10.255.0.8",
      queueValues: ["10.255.0.9", "10.255.0.7", "10.255.0.8"],
      registeredKeys: ["/pxc-cluster/galera/10.255.0.9", "/pxc-cluster/galera/10.255.0.8"],
    });
    expect(r.clusterAddress).toBe("gcomm://10.255.0.9,10.255.0.7,10.255.0.9");
    expect(r.bootstrap).toBe(false);
  });
  it("removes a substring, first match only: 10.255.0.1 eats part of 10.255.0.10", () => {
    expect(bashRemoveFirst("10.255.0.10\n10.255.0.1", "10.255.0.1")).toBe("0\n10.255.0.1");
    const r = legacyClusterAddress({ ownAddress: "10.255.0.1", queueValues: ["10.255.0.10"], registeredKeys: [] });
    expect(r.clusterAddress).toBe("gcomm://0");
  });
  it("bootstraps only when both lists are empty", () => {
    const r = legacyClusterAddress({ ownAddress: "10.0.0.5", queueValues: ["10.0.0.5"], registeredKeys: ["/pxc-cluster/galera/10.0.0.5"] });
    expect(r).toMatchObject({ clusterAddress: "gcomm://", bootstrap: true });
  });
});
