import { describe, expect, it } from "vitest";
import { noteFault, noteHeal, noteSynced, noteVisible, recoveryRows, type RecoveryRecord } from "../../src/faults/recovery.js";
import { describeFault } from "../../src/faults/nemesis.js";

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
  it("a visibility with no fault pending changes nothing", () => {
    expect(noteVisible([], "x", 1)).toBeUndefined();
  });
  it("describes faults in words", () => {
    expect(describeFault({ kind: "ports", host: "docker3", ports: ["7946/tcp", "4789/udp"], direction: "both" })).toBe("ports docker3 7946/tcp,4789/udp (both)");
    expect(describeFault({ kind: "split", groups: [["docker1", "docker2"], ["docker3"]], direction: "in" })).toBe("split docker1+docker2 | docker3 (in)");
    expect(describeFault({ kind: "stop-leader" }, "docker1")).toBe("stop-leader docker1");
  });
});
