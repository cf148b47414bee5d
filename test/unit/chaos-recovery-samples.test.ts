import { describe, expect, it } from "vitest";
import { sampleSynced, syncedFromSamples, type RecoveryRecord } from "../../src/faults/recovery.js";

const ok = { "1@docker1": "Primary Synced 3", "2@docker2": "Primary Synced 3", "3@docker3": "Primary Synced 3" };
const split = { "1@docker1": "Primary Synced 2", "2@docker2": "Primary Synced 2", "3@docker3": "non-Primary Initialized 1" };
const s = (sec: number, members: Record<string, string>) => ({ at: sec * 1000, members });

describe("a chaos run's recoveries from the sampler's pictures", () => {
  it("a picture is Synced only with every member Primary, Synced, in one component of n", () => {
    expect(sampleSynced(ok, 3)).toBe(true);
    expect(sampleSynced(split, 3)).toBe(false);
    expect(sampleSynced({ "1@docker1": "Primary Synced 3", "2@docker2": "Primary Synced 3" }, 3)).toBe(false);
  });

  it("credits each fault with its own moments, not the end of the run", () => {
    const records: RecoveryRecord[] = [
      // a split that showed and lasted until its heal at 20 s
      { fault: "split docker3", startedAt: 10_000, healedAt: 20_000, syncedAfterHealSeconds: 1700 },
      // a stop the cluster got over while it was still active (the task moved)
      { fault: "stop docker2", startedAt: 30_000, healedAt: 60_000 },
      // a delay nobody noticed
      { fault: "link docker1: delay 50ms", startedAt: 70_000, healedAt: 80_000 },
      // still active when the run ended
      { fault: "dns drop docker2", startedAt: 85_000 },
    ];
    const samples = [s(9, ok), s(12, split), s(18, split), s(21, split), s(24, ok), s(33, split), s(42, ok), s(61, ok), s(72, ok), s(81, ok), s(87, ok)];
    syncedFromSamples(records, samples, 3);
    expect(records.map((r) => [r.syncedAfterFaultSeconds, r.syncedAfterHealSeconds])).toEqual([
      [undefined, 4],
      [12, 1],
      [undefined, 1],
      [undefined, undefined],
    ]);
  });
});
