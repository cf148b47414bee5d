import { describe, expect, it } from "vitest";
import { selectOwnAddress, parsePtrName, parseIpAddr } from "../../src/discovery/address.js";
import { decide, livePeers } from "../../src/discovery/discovery.js";
import {
  legacyClusterAddress,
  legacyOwnAddress,
  bashRemoveFirst,
  legacyFromAnswers,
  legacyEntryCalls,
  clustercheckCalls,
  clustercheckHealthy,
  legacyMysqldArgs,
  jqQueueValues,
  jqNodeKeys,
  awkPrintFirst,
} from "../../src/discovery/legacy.js";

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

// etcd v2 answers as curl received them (etcd 2.x/3.4 v2 API shapes).
const queueAnswer = (values: string[]) =>
  JSON.stringify({
    action: "get",
    node: {
      key: "/pxc-cluster/queue/galera",
      dir: true,
      nodes: values.map((value, n) => ({ key: `/pxc-cluster/queue/galera/0000000000000000${10 + n}`, value, expiration: "2016-11-21T14:39:08Z", ttl: 59 - n, modifiedIndex: 10 + n, createdIndex: 10 + n })),
      modifiedIndex: 9,
      createdIndex: 9,
    },
  }) + "\n";
const listAnswer = (ips: string[]) =>
  JSON.stringify({
    action: "get",
    node: { key: "/pxc-cluster/galera", dir: true, nodes: ips.map((ip) => ({ key: `/pxc-cluster/galera/${ip}`, dir: true, expiration: "2016-11-21T14:38:38Z", ttl: 29, modifiedIndex: 20, createdIndex: 20 })), modifiedIndex: 8, createdIndex: 8 },
  }) + "\n";
const keyNotFound = (key: string) => JSON.stringify({ errorCode: 100, message: "Key not found", cause: key, index: 30 }) + "\n";

describe("legacy mode: percona-docker pxc-57/pxc-entry.sh of 2016, defects included", () => {
  it("ipaddr: the first word of `hostname -i` (entry:119), ingress first on the walkthrough's engine", () => {
    expect(legacyOwnAddress("10.255.0.8 10.0.0.3 \n")).toBe("10.255.0.8");
    expect(legacyOwnAddress("10.0.1.12\n")).toBe("10.0.1.12");
    // "hostname: No address associated with hostname" goes to stderr: ipaddr is empty
    expect(legacyOwnAddress("")).toBe("");
    expect(awkPrintFirst("  10.0.0.6 172.18.0.4\n")).toBe("10.0.0.6\n");
  });
  it("reads etcd's answers with the script's jq filters", () => {
    expect(jqQueueValues(queueAnswer(["10.255.0.9", "10.255.0.7"]))).toBe("10.255.0.9\n10.255.0.7\n");
    expect(jqQueueValues(keyNotFound("/pxc-cluster/queue/galera"))).toBe(""); // jq: Cannot iterate over null
    expect(jqQueueValues("")).toBe(""); // curl failed
    expect(jqNodeKeys(listAnswer(["10.255.0.9"]))).toBe("/pxc-cluster/galera/10.255.0.9\n");
    expect(jqNodeKeys(keyNotFound("/pxc-cluster/galera"))).toBe(""); // `[]?`
  });
  it("the curl calls: keys, TTLs and bodies as in entry:122-139", () => {
    const c = legacyEntryCalls("192.168.10.201:2379", "galera", "10.255.0.8", "4f2a9c1d07be");
    expect(c.queuePost).toMatchObject({ method: "POST", url: "http://192.168.10.201:2379/v2/keys/pxc-cluster/queue/galera", data: "value=10.255.0.8&ttl=60" });
    expect(c.queueGet).toMatchObject({ method: "GET", url: "http://192.168.10.201:2379/v2/keys/pxc-cluster/queue/galera" });
    expect(c.register.map((r) => [r.method, r.url, r.data])).toEqual([
      ["PUT", "http://192.168.10.201:2379/v2/keys/pxc-cluster/galera/10.255.0.8/ipaddr", "value=10.255.0.8&ttl=30"],
      ["PUT", "http://192.168.10.201:2379/v2/keys/pxc-cluster/galera/10.255.0.8/hostname", "value=4f2a9c1d07be&ttl=30"],
      ["PUT", "http://192.168.10.201:2379/v2/keys/pxc-cluster/galera/10.255.0.8", "ttl=30&dir=true&prevExist=true"],
    ]);
    expect(c.listGet).toMatchObject({ method: "GET", url: "http://192.168.10.201:2379/v2/keys/pxc-cluster/galera/?quorum=true" });
    const cron = clustercheckCalls("192.168.10.201:2379", "galera", "10.255.0.8", "4f2a9c1d07be");
    expect(cron.refresh.map((r) => r.url)).toEqual(c.register.map((r) => r.url));
    expect(cron.remove).toMatchObject({ method: "DELETE", url: "http://192.168.10.201:2379/v2/keys/pxc-cluster/galera/10.255.0.8/?recursive=true" });
  });
  it("gives the walkthrough's address to 10.255.0.8: queue [.9, .7, .8], registrations {.9, .8}", () => {
    const r = legacyFromAnswers("10.255.0.8", queueAnswer(["10.255.0.9", "10.255.0.7", "10.255.0.8"]), listAnswer(["10.255.0.9", "10.255.0.8"]));
    expect(r).toMatchObject({ i1: ["10.255.0.9", "10.255.0.7"], i2: ["10.255.0.9"], clusterAddress: "gcomm://10.255.0.9,10.255.0.7,10.255.0.9", bootstrap: false });
    const same = legacyClusterAddress({
      ownAddress: "10.255.0.8",
      queueValues: ["10.255.0.9", "10.255.0.7", "10.255.0.8"],
      registeredKeys: ["/pxc-cluster/galera/10.255.0.9", "/pxc-cluster/galera/10.255.0.8"],
    });
    expect(same.clusterAddress).toBe(r.clusterAddress);
  });
  it("and to 10.255.0.7 restarted within the queue's 60 s (queued twice, first match removed only)", () => {
    const r = legacyFromAnswers("10.255.0.7", queueAnswer(["10.255.0.9", "10.255.0.7", "10.255.0.7"]), listAnswer(["10.255.0.9", "10.255.0.7"]));
    expect(r.clusterAddress).toBe("gcomm://10.255.0.9,10.255.0.7,10.255.0.9");
  });
  it("removes a substring, first match only: 10.255.0.1 eats part of 10.255.0.10", () => {
    expect(bashRemoveFirst("10.255.0.10\n10.255.0.1", "10.255.0.1")).toBe("0\n10.255.0.1");
    const r = legacyClusterAddress({ ownAddress: "10.255.0.1", queueValues: ["10.255.0.10"], registeredKeys: [] });
    expect(r.clusterAddress).toBe("gcomm://0");
  });
  it("bootstraps (gcomm://) when both lists are empty, including when etcd cannot be reached (set +e)", () => {
    const r = legacyClusterAddress({ ownAddress: "10.0.0.5", queueValues: ["10.0.0.5"], registeredKeys: ["/pxc-cluster/galera/10.0.0.5"] });
    expect(r).toMatchObject({ clusterAddress: "gcomm://", bootstrap: true });
    expect(legacyFromAnswers("10.0.0.5", "", "")).toMatchObject({ clusterAddress: "gcomm://", bootstrap: true });
  });
  it("an empty ipaddr removes nothing: its own (empty) queue entry vanishes in the word split, peers stay", () => {
    expect(legacyFromAnswers("", queueAnswer(["10.0.0.6", ""]), listAnswer(["10.0.0.6"])).clusterAddress).toBe("gcomm://10.0.0.6,10.0.0.6");
  });
  it("clustercheckcron keeps the keys while Primary and Synced or Donor (AVAILABLE_WHEN_DONOR=1)", () => {
    expect(clustercheckHealthy({ wsrep_cluster_status: "Primary", wsrep_local_state: "4" })).toBe(true);
    expect(clustercheckHealthy({ wsrep_cluster_status: "Primary", wsrep_local_state: "2" })).toBe(true);
    expect(clustercheckHealthy({ wsrep_cluster_status: "Primary", wsrep_local_state: "1" })).toBe(false);
    expect(clustercheckHealthy({ wsrep_cluster_status: "non-Primary", wsrep_local_state: "4" })).toBe(false);
    expect(clustercheckHealthy({})).toBe(false); // mysqld not up yet: the first round deletes the keys
  });
  it("mysqld's arguments as entry:153 passes them, --wsrep_node_address included", () => {
    const base = { cluster: "galera", clusterJoin: "10.255.0.9,10.255.0.7,10.255.0.9", ipaddr: "10.255.0.8", xtrabackupPassword: "mypassword", sstMethod: "xtrabackup-v2" };
    expect(legacyMysqldArgs({ ...base, argv: [] })).toEqual([
      "--user=mysql",
      "--wsrep_cluster_name=galera",
      "--wsrep_cluster_address=gcomm://10.255.0.9,10.255.0.7,10.255.0.9",
      "--wsrep_sst_method=xtrabackup-v2",
      "--wsrep_sst_auth=xtrabackup:mypassword",
      "--wsrep_node_address=10.255.0.8",
    ]);
    // CMDARG only when the first argument is an option (entry:5-7)
    expect(legacyMysqldArgs({ ...base, argv: ["--wsrep_slave_threads=4"] }).at(-1)).toBe("--wsrep_slave_threads=4");
    expect(legacyMysqldArgs({ ...base, argv: ["mysqld", "--x"] })).toHaveLength(6);
    // without DISCOVERY_SERVICE ipaddr is never set: --wsrep_node_address= (empty)
    expect(legacyMysqldArgs({ ...base, clusterJoin: "", ipaddr: "", argv: [] }).slice(2)).toEqual([
      "--wsrep_cluster_address=gcomm://",
      "--wsrep_sst_method=xtrabackup-v2",
      "--wsrep_sst_auth=xtrabackup:mypassword",
      "--wsrep_node_address=",
    ]);
  });
});

import { ownAddressWithoutPtr, parseDefaultRouteIfname } from "../../src/discovery/address.js";

describe("own address without a PTR answer (a service with a healthcheck)", () => {
  const local = [
    { ifname: "lo", address: "127.0.0.1" },
    { ifname: "eth0", address: "10.0.1.27" },
    { ifname: "eth1", address: "172.18.0.4" },
  ];
  it("takes the one address that is not on the default route's interface (docker_gwbridge)", () => {
    expect(parseDefaultRouteIfname("default via 172.18.0.1 dev eth1 \n")).toBe("eth1");
    expect(ownAddressWithoutPtr(local, "eth1", "sstlab")).toEqual({ address: "10.0.1.27", network: "", taskName: "", service: "sstlab" });
    expect(ownAddressWithoutPtr(local, "eth1", undefined).service).toBe("");
  });
  it("refuses to guess between two (an ingress address too) or none", () => {
    expect(() => ownAddressWithoutPtr([...local, { ifname: "eth2", address: "10.0.0.9" }], "eth1", undefined)).toThrow(/2 addresses besides loopback and the default route's interface \(eth1\)/);
    expect(() => ownAddressWithoutPtr(local.slice(0, 1), undefined, undefined)).toThrow(/no address besides/);
    expect(parseDefaultRouteIfname("")).toBeUndefined();
  });
});
