/** Failure injection for real: the fault scenarios against a real lab, judged by the real cluster. */
import { describe, expect, it } from "vitest";
import { runSession } from "../../src/scenarios/session.js";
import { labelled } from "./helpers.js";

describe("swarmlab run node-stop", () => {
  it("reschedules the stopped host's task, reforms Galera, brings the host back and loses no acknowledged write", async () => {
    const report = await runSession(["node-stop"], { reportDir: "reports/test-node-stop" });
    const scenario = report.scenarios.find((s) => s.scenario === "node-stop")!;
    expect(scenario.steps.filter((s) => !s.ok).map((s) => `${s.title}: ${s.error}`)).toEqual([]);
    expect(report.ok).toBe(true);
    const history = scenario.steps.find((s) => s.title === "check history")!.details as { counts: { ok: number } };
    expect(history.counts.ok).toBeGreaterThan(0);
    expect(await labelled("swarmlab")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});

describe("swarmlab run partition-swarm-ports", () => {
  it("splits Galera 2+1 while docker3's gossip and VXLAN ports drop, and reforms after heal", async () => {
    const report = await runSession(["partition-swarm-ports"], { reportDir: "reports/test-partition" });
    const scenario = report.scenarios.find((s) => s.scenario === "partition-swarm-ports")!;
    expect(scenario.steps.filter((s) => !s.ok).map((s) => `${s.title}: ${s.error}`)).toEqual([]);
    expect(report.ok).toBe(true);
    const split = scenario.steps.find((s) => s.kind === "wait" && s.title.startsWith("two members"))!.details as {
      members: Array<{ status?: string; size?: number }>;
    };
    expect(split.members.filter((m) => m.status === "Primary" && m.size === 2)).toHaveLength(2);
    expect(await labelled("swarmlab")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
