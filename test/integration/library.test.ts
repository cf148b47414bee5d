/** The library API as a team would use it in its own vitest failure test, on the real lab. */
import { describe, expect, it } from "vitest";
import { startLab, runScenario, loadScenario, Progress, LabDriver } from "../../src/index.js";
import { labelled } from "./helpers.js";
import { labStatus, renderStatus } from "../../src/checks/status.js";

describe("the library: a failure test written in code", () => {
  it("seed, cut VXLAN on docker3, see the split, heal, see three Synced, lose no write", async () => {
    const progress = new Progress();
    {
      await using lab = await startLab({ name: "libtest", progress });
      const seed = await runScenario(lab, loadScenario("seed"), { progress });
      expect(seed.steps.filter((s) => !s.ok).map((s) => s.error)).toEqual([]);
      // what `swarmlab status` shows: the Galera tasks and members of this lab
      const status = await labStatus(lab);
      expect(status.tasks.filter((t) => t.state === "running" && t.source === "swarm")).toHaveLength(3);
      expect(status.galera.map((g) => g.state)).toEqual(["Synced", "Synced", "Synced"]);
      expect(renderStatus(status)).toMatch(/TASK[\s\S]*GALERA MEMBER/);
      const d = await LabDriver.for(lab, { progress });
      await d.fault({ kind: "ports", host: "docker3", ports: ["4789/udp"], direction: "both" }, { workload: true });
      const split = (await d.waitSplit(2, 120_000)) as { members: Array<{ status?: string; size?: number }> };
      expect(split.members.filter((m) => m.status === "Primary" && m.size === 2)).toHaveLength(2);
      await d.heal();
      const view = await d.waitSynced(3, 180_000);
      expect(view.every((m) => m.state === "Synced" && m.size === 3)).toBe(true);
      const history = (await d.checkHistory()) as { counts: { ok: number } };
      expect(history.counts.ok).toBeGreaterThan(0);
      expect(d.recoveries[0]!.syncedAfterHealSeconds).toBeGreaterThan(0);
    } // await using: the lab is removed here
    expect(await labelled("libtest")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
