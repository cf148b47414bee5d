import { describe, expect, it } from "vitest";
import { noteFault, noteHeal, noteSynced, noteVisible, recoveryRows, type RecoveryRecord } from "../../src/faults/recovery.js";
import { describeFault } from "../../src/faults/nemesis.js";
import { faultsToHeal } from "../../src/faults/active.js";
import type { ActiveFault } from "../../src/context/run-context.js";

describe("recovery figures", () => {
  it("keeps, per fault, when it showed and when all members were Synced after the fault and after the heal", () => {
    const rs: RecoveryRecord[] = [];
    noteFault(rs, "stop docker2", 1_000);
    expect(noteVisible(rs, "swarm: docker2 Down", 11_000)).toBe(10);
    noteSynced(rs, 23_000); // rescheduled while docker2 is still down
    noteHeal(rs, 30_000);
    noteSynced(rs, 34_500);
    noteSynced(rs, 40_000); // a later wait does not overwrite the first
    expect(rs).toEqual([
      { fault: "stop docker2", startedAt: 1_000, visibleBy: "swarm: docker2 Down", visibleSeconds: 10, syncedAfterFaultSeconds: 22, healedAt: 30_000, syncedAfterHealSeconds: 4.5 },
    ]);
  });
  it("gives each of several faults its own figures", () => {
    const rs: RecoveryRecord[] = [];
    noteFault(rs, "restart docker1", 0);
    noteSynced(rs, 20_000);
    noteFault(rs, "restart docker2", 30_000);
    noteVisible(rs, "x", 31_000);
    noteSynced(rs, 45_000);
    expect(rs.map((r) => [r.fault, r.syncedAfterFaultSeconds, r.visibleSeconds])).toEqual([
      ["restart docker1", 20, undefined],
      ["restart docker2", 15, 1],
    ]);
    expect(recoveryRows(rs)[3]).toBe("| restart docker2 | 1.0 s | x | 15.0 s | – |");
  });
  it("a partial heal marks only the faults healed; the rest keep counting from their fault", () => {
    const rs: RecoveryRecord[] = [];
    const a = noteFault(rs, "kill docker2", 0);
    const b = noteFault(rs, "kill docker3", 1_000);
    noteHeal(rs, 10_000, [a]);
    noteSynced(rs, 14_000);
    expect([a.healedAt, a.syncedAfterHealSeconds, b.healedAt, b.syncedAfterFaultSeconds]).toEqual([10_000, 4, undefined, 13]);
  });
  it("a symptom of overlapping faults belongs to each of its causes, counted from each fault", () => {
    const rs: RecoveryRecord[] = [];
    const a = noteFault(rs, "kill docker2", 0);
    const b = noteFault(rs, "kill docker3", 500);
    expect(noteVisible(rs, "swarm has no leader", 35_500, [a, b])).toBe(35);
    expect([a.visibleBy, a.visibleSeconds, b.visibleBy, b.visibleSeconds]).toEqual(["swarm has no leader", 35.5, "swarm has no leader", 35]);
    // A later symptom does not re-label faults already seen.
    expect(noteVisible(rs, "Galera: no Primary component", 45_000, [a, b])).toBeUndefined();
    expect(a.visibleBy).toBe("swarm has no leader");
  });
  it("a symptom of one host belongs only to the faults that name it", () => {
    const rs: RecoveryRecord[] = [];
    const a = noteFault(rs, "stop docker2", 0);
    noteFault(rs, "ports docker3 4789/udp (both)", 1_000);
    noteVisible(rs, "swarm: docker2 Down", 12_000, [a]);
    expect(rs.map((r) => r.visibleBy)).toEqual(["swarm: docker2 Down", undefined]);
  });
  it("a visibility with no fault pending changes nothing", () => {
    expect(noteVisible([], "x", 1)).toBeUndefined();
  });
  it("describes faults in words", () => {
    expect(describeFault({ kind: "ports", host: "docker3", ports: ["7946/tcp", "4789/udp"], direction: "both" })).toBe("ports docker3 7946/tcp,4789/udp (both)");
    expect(describeFault({ kind: "split", groups: [["docker1", "docker2"], ["docker3"]], direction: "in" })).toBe("split docker1+docker2 | docker3 (in)");
    expect(describeFault({ kind: "stop-leader" }, "docker1")).toBe("stop-leader docker1");
    expect(describeFault({ kind: "stop", host: "docker2", grace: 30 }, "docker2")).toBe("stop docker2 (clean, grace 30 s)");
    expect(describeFault({ kind: "stop", host: "docker2" }, "docker2")).toBe("stop docker2");
  });
});

import { applyProfile, TUNED_WSREP_PROVIDER_OPTIONS } from "../../src/scenarios/profile.js";

describe("timing profiles", () => {
  const create = "docker service create --name mysql-galera --replicas 3 \\\n-p 3306:3306 --network mynet \\\nswarmlab/galera";
  it("the walkthrough profile changes nothing", () => {
    expect(applyProfile(create, "walkthrough")).toEqual({ command: create });
    expect(applyProfile("docker swarm init --advertise-addr 192.168.10.201", "walkthrough")).toEqual({ command: "docker swarm init --advertise-addr 192.168.10.201" });
  });
  it("tuned shortens swarm's heartbeat after init and Galera's EVS timers in the service, and says so", () => {
    const init = applyProfile("docker swarm init --advertise-addr 192.168.10.201", "tuned");
    expect(init.after).toBe("docker swarm update --dispatcher-heartbeat 1s");
    const svc = applyProfile(create, "tuned");
    expect(svc.command).toContain(`docker service create --restart-delay 1s --env "WSREP_PROVIDER_OPTIONS=${TUNED_WSREP_PROVIDER_OPTIONS}" --name mysql-galera`);
    expect(svc.changed).toMatch(/tuned profile/);
    expect(applyProfile("docker service create --name other nginx", "tuned")).toEqual({ command: "docker service create --name other nginx" });
  });
});

import { figure, markdownTable } from "../../src/bench/figures.js";

describe("bench figures", () => {
  it("takes the median with min and max", () => {
    expect(figure([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
    expect(figure([1, 2, 3, 4])!.median).toBe(2.5);
    expect(figure([])).toBeUndefined();
  });
  it("writes a table with the targets and whether the median meets them", () => {
    const t = markdownTable({ warmUpSeconds: figure([25, 30, 28]), overheadRatio: figure([1.05]) }, { nodeStopToSyncedSeconds: figure([12]) });
    expect(t).toContain("| warmUpSeconds | 28 (25–30) ✗ |");
    expect(t).toContain("| overheadRatio | 1.05 (1.05–1.05) ✓ |");
    expect(t).toMatch(/\| nodeStopToSyncedSeconds \| not measured \| 12 \(12–12\) ✓ \| ≤ 30 s \(tuned ≤ 15\)/);
  });
});

import { mkdtempSync, mkdirSync as mk, writeFileSync as wf } from "node:fs";
import { tmpdir } from "node:os";
import { join as pjoin } from "node:path";
import { processTreeRssBytes } from "../../src/bench/bench.js";

describe("the lab's memory: a process tree in /proc", () => {
  it("sums the resident pages of a host's init and all its descendants, and nothing else", () => {
    const proc = mkdtempSync(pjoin(tmpdir(), "proc-"));
    const add = (pid: number, ppid: number, pages: number, comm = "x") => {
      mk(pjoin(proc, String(pid)));
      wf(pjoin(proc, String(pid), "stat"), `${pid} (${comm}) S ${ppid} 1 1 0`);
      wf(pjoin(proc, String(pid), "statm"), `100 ${pages} 5 1 0 10 0`);
    };
    add(10, 1, 1); // host init
    add(11, 10, 2, "dockerd with space"); // its child
    add(12, 11, 3); // grandchild (mariadbd)
    add(20, 1, 100); // not in the lab
    expect(processTreeRssBytes(proc, [10])).toBe((1 + 2 + 3) * 4096);
  });
});

describe("choosing the faults a heal step heals", () => {
  const fault = (what: string, hosts: string[]): ActiveFault => ({
    spec: { kind: "stop", host: hosts[0]! },
    rules: [],
    stopped: [],
    paused: [],
    hosts,
    record: { fault: what, startedAt: 0 },
  });
  const active = [fault("kill docker2", ["docker2"]), fault("kill docker3", ["docker3"]), fault("split docker1 | docker2+docker3", ["docker1", "docker2", "docker3"])];
  it("all: every active fault", () => {
    expect(faultsToHeal(active, "all")).toHaveLength(3);
  });
  it("a host: the faults that touch it, and no other", () => {
    expect(faultsToHeal(active, "docker3").map((f) => f.record.fault)).toEqual(["kill docker3", "split docker1 | docker2+docker3"]);
    expect(faultsToHeal(active, "docker1").map((f) => f.record.fault)).toEqual(["split docker1 | docker2+docker3"]);
  });
  it("a host no active fault touches is an error that lists what is active", () => {
    expect(() => faultsToHeal(active.slice(0, 1), "docker3")).toThrow(/heal docker3: no active fault touches docker3; active faults: kill docker2 \(docker2\)/);
    expect(() => faultsToHeal([], "docker1")).toThrow(/active faults: none/);
  });
});

import { stackDeployToSynced } from "../../src/bench/bench.js";
import type { RunReport } from "../../src/report/report.js";

describe("bench: the own-stack example's deploy to three Synced", () => {
  const step = (index: number, title: string, startedAt: string, seconds: number, ok = true) => ({ index, title, startedAt, seconds, ok });
  const report = (steps: ReturnType<typeof step>[]) =>
    ({ scenarios: [{ scenario: "tasks-discovery", steps }] }) as unknown as RunReport;

  it("runs from the stack step's start to the end of the first wait that sees a cluster of three", () => {
    const r = report([
      step(0, "build the example's image and push it to the lab's registry", "2026-11-30T10:00:00.000Z", 9),
      step(1, "deploy the stack (seed 1 task, node 0)", "2026-11-30T10:00:10.000Z", 2),
      step(2, "scale node to 2", "2026-11-30T10:00:20.000Z", 1),
      step(3, "the seed sees a cluster of three, Primary and Synced", "2026-11-30T10:00:21.000Z", 30.5),
    ]);
    expect(stackDeployToSynced(r)).toBe(41.5);
  });

  it("gives nothing when the wait failed or the example has no such steps", () => {
    expect(stackDeployToSynced(report([step(0, "deploy the stack", "2026-11-30T10:00:00.000Z", 1), step(1, "the seed sees a cluster of three", "2026-11-30T10:00:01.000Z", 300, false)]))).toBeUndefined();
    expect(stackDeployToSynced(report([]))).toBeUndefined();
  });
});

import { replicasComplete } from "../../src/checks/conditions.js";

describe("service-spread: docker service ls replicas", () => {
  it("accepts n/n with or without a per-node maximum, nothing else", () => {
    expect(replicasComplete("3/3", 3)).toBe(true);
    expect(replicasComplete("3/3 (max 1 per node)", 3)).toBe(true);
    expect(replicasComplete("2/3 (max 1 per node)", 3)).toBe(false);
    expect(replicasComplete("3/3", 2)).toBe(false);
    expect(replicasComplete("13/13", 3)).toBe(false);
  });
});

import { wouldLoseMemberMajority } from "../../src/faults/chaos.js";

describe("chaos: a host fault never takes a majority of the Galera members", () => {
  it("skips a fault on a host where swarm put two of three members", () => {
    expect(wouldLoseMemberMajority(["docker1", "docker3", "docker3"], ["docker3"], 3)).toMatch(/leave 1 of 3 Galera members running \(docker3 runs 2;/);
    expect(wouldLoseMemberMajority(["docker1", "docker2", "docker3"], ["docker3"], 3)).toBeUndefined();
    expect(wouldLoseMemberMajority(["docker1", "docker3", "docker3"], ["docker2"], 3)).toBeUndefined();
    // two faults at once: what is already down counts
    expect(wouldLoseMemberMajority(["docker1", "docker2", "docker3", "docker4", "docker5"], ["docker4", "docker5", "docker3"], 5)).toMatch(/leave 2 of 5/);
  });
});

import { taskGone } from "../../src/faults/kinds/clock.js";

describe("clock heal: a task that ended has nothing to restore", () => {
  it("knows docker's words for a container that is gone or stopped", () => {
    expect(taskGone(new Error("Error response from daemon: No such container: edaf6f4baaca"))).toBe(true);
    expect(taskGone(new Error("Error response from daemon: Container edaf6f4baaca is not running"))).toBe(true);
    expect(taskGone(new Error("command failed with exit code 126: permission denied"))).toBe(false);
  });
});

describe("recovery figures with two services", () => {
  it("credits a fault aimed at one service's tasks only with that service's Synced", () => {
    const records: RecoveryRecord[] = [];
    const r = noteFault(records, "dns drop all tasks of early-naive", 0, "early-naive");
    const host = noteFault(records, "stop docker2", 0);
    noteHeal(records, 1000);
    noteSynced(records, 91_000, "early-fixed");
    expect(r.syncedAfterHealSeconds).toBeUndefined();
    expect(host.syncedAfterHealSeconds).toBe(90);
    noteSynced(records, 95_000, "early-naive");
    expect(r.syncedAfterHealSeconds).toBe(94);
  });
});
