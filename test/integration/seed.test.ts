/** The main job for real: the walkthrough replayed and checked against a real Galera cluster. */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { runSession } from "../../src/scenarios/session.js";
import { labelled } from "./helpers.js";

describe("swarmlab run seed", () => {
  it("replays the walkthrough and proves a healthy three-node cluster", async () => {
    const dir = "reports/test-seed";
    const report = await runSession(["seed"], { reportDir: dir });
    const seed = report.scenarios[0]!;
    const failed = seed.steps.filter((s) => !s.ok).map((s) => `${s.title}: ${s.error}`);
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
    // Every command of the walkthrough ran, and the checks looked at the real cluster.
    const titles = seed.steps.map((s) => s.title);
    for (const t of ["check service-spread", "check galera-health", "check cluster-address", "check replication"]) expect(titles).toContain(t);
    const health = seed.steps.find((s) => s.title === "check galera-health")!.details as { members: Array<{ size: number; state: string }> };
    expect(health.members.map((m) => [m.size, m.state])).toEqual([[3, "Synced"], [3, "Synced"], [3, "Synced"]]);
    const etcd = seed.steps.find((s) => s.title === "etcd members (v2 API)")!;
    expect(etcd.output).toBe(etcd.walkthrough!.trim());
    for (const f of ["report.json", "junit.xml", "summary.md"]) expect(existsSync(`${dir}/${f}`)).toBe(true);
    expect(readFileSync(`${dir}/junit.xml`, "utf8")).toContain('<testsuite name="seed" tests="21" failures="0"');
    // The lab is removed after the run.
    expect(await labelled("swarmlab")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
