import { describe, expect, it } from "vitest";
import { compareOutputs, normaliseLine } from "../../src/walk/compare.js";
import { renderAfter, renderBefore } from "../../src/walk/render.js";
import { timelineData, timelineHtml } from "../../src/report/timeline.js";
import { loadScenario } from "../../src/scenarios/schema.js";
import type { ScenarioResult } from "../../src/scenarios/runner.js";

describe("comparing a step's output with the walkthrough's", () => {
  it("sets IDs, tokens and times aside", () => {
    expect(normaliseLine("eknbellxg7y3zpujxzmv05dd5 mysql-galera.1 Running Running 30 seconds ago").text).toBe("<id> mysql-galera.1 Running Running <time>");
    expect(normaliseLine("docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 192.168.10.201:2377").text).toBe(
      "docker swarm join --token <token> 192.168.10.201:2377",
    );
    expect(normaliseLine("fc994bb85036b57bef06e55e1856ef1c6f12198b7700744a9be61c22ea62f170").replaced).toEqual(["id"]);
  });
  it("finds node ls equivalent but for IDs; the column spacing the walkthrough lost does not count", () => {
    const walk = "ID HOSTNAME STATUS AVAILABILITY MANAGER STATUS\n0ohnpfzuhuk0qqi9hpibaa64c * docker1.htsec.com Ready Active Leader";
    const real = "ID                            HOSTNAME            STATUS    AVAILABILITY   MANAGER STATUS\nircjg7h53kedhs3au958yr1if *   docker1.htsec.com   Ready     Active         Leader";
    const c = compareOutputs(real, walk);
    expect(c.equivalent).toBe(true);
    expect(c.lines[1]).toMatchObject({ kind: "same", volatile: ["id"] });
  });
  it("calls out what really differs", () => {
    const c = compareOutputs("NETWORK ID NAME DRIVER SCOPE\nabcdef123456 mynet overlay swarm\n0123456789ab extra bridge local", "NETWORK ID NAME DRIVER SCOPE\n9876543210fe mynet overlay swarm\nfedcba987654 ingress overlay swarm");
    expect(c.equivalent).toBe(false);
    expect(c.differences).toEqual(["only here: 0123456789ab extra bridge local", "only in the walkthrough: fedcba987654 ingress overlay swarm"]);
  });
});

describe("walk's rendering of a step", () => {
  const seed = loadScenario("seed");
  const init = seed.steps[0]!;
  it("shows the explanation and the exact command, in English or the walkthrough's Chinese", () => {
    const en = renderBefore(init, "swarm init on docker1", 0, 21, { lang: "en", width: 100, colour: false });
    expect(en).toMatch(/Step 1\/21 · swarm init on docker1/);
    expect(en).toContain("$ docker swarm init --advertise-addr 192.168.10.201");
    const zh = renderBefore(init, "swarm init on docker1", 0, 21, { lang: "zh", width: 100, colour: false });
    expect(zh).toMatch(/步骤 1\/21/);
    expect(zh).toContain(("explain_zh" in init && init.explain_zh) || "场景中没有中文说明");
  });
  it("puts the real output beside the walkthrough's and says what differs", () => {
    const step = seed.steps.find((s) => "run" in s && s.run.trim() === "docker node ls")!;
    const out = renderAfter(step, { index: 4, title: "t", kind: "run", ok: true, seconds: 0.1, startedAt: "", output: "ID HOSTNAME STATUS AVAILABILITY MANAGER STATUS\nabc" }, { lang: "en", width: 120, colour: false });
    expect(out).toContain("This run");
    expect(out).toContain("The walkthrough printed");
    expect(out).toMatch(/Differs from the walkthrough/);
    expect(out).toMatch(/✓ ok/);
  });
  it("shows what a fault or a check found instead of output", () => {
    const fault = { fault: { kind: "stop" as const, host: "docker2" } };
    const out = renderAfter(fault, { index: 0, title: "t", kind: "fault", ok: true, seconds: 0.3, startedAt: "", details: { target: "docker2", swarm: { nodes: "docker1:Ready/Leader docker2:Down/Unreachable", tasks: ["1@docker1"] } } }, { lang: "en", width: 100, colour: false });
    expect(out).toContain("target: docker2");
    expect(out).toContain("swarm: docker1:Ready/Leader docker2:Down/Unreachable · tasks 1@docker1");
  });
});

describe("the timeline picture", () => {
  const t0 = Date.parse("2026-11-29T03:00:00.000Z");
  const result: ScenarioResult = {
    scenario: "node-stop",
    title: "t",
    file: "f",
    ok: true,
    seconds: 60,
    startedAt: new Date(t0).toISOString(),
    steps: [{ index: 0, title: "stop docker2", kind: "fault", ok: true, seconds: 1, startedAt: new Date(t0).toISOString() }],
    timeline: [],
    figures: {},
    recoveries: [{ fault: "stop docker2", startedAt: t0 + 500, visibleBy: "swarm: docker2 Down", visibleSeconds: 10, syncedAfterFaultSeconds: 22, healedAt: t0 + 40_000, syncedAfterHealSeconds: 5 }],
    samples: [
      { at: t0, nodes: { docker1: "Ready/Leader", docker2: "Ready/Reachable" }, members: { "mysql-galera.2@docker2": "Primary Synced 3" }, tasks: ["1@docker1", "2@docker2"] },
      { at: t0 + 3000, nodes: { docker1: "Ready/Leader", docker2: "Ready/Reachable" }, members: { "mysql-galera.2@docker2": "Primary Synced 3" }, tasks: ["1@docker1", "2@docker2"] },
      { at: t0 + 12_000, nodes: { docker1: "Ready/Leader", docker2: "Down/Unreachable" }, members: { "mysql-galera.2@docker2": "unreachable" }, tasks: ["1@docker1", "2@docker1"] },
    ],
    writes: [{ at: t0, ok: 10, failed: 1, unknown: 0 }],
    notes: [],
  };
  it("has rows for steps, faults, writes, tasks, each node and each member, and merges repeated states", () => {
    const d = timelineData(result);
    expect(d.groups.map((g) => g.content)).toEqual(["steps", "fault", "writes", "swarm docker1", "swarm docker2", "galera mysql-galera.2@docker2", "tasks"]);
    const docker2 = d.items.filter((i) => i.group === "node-docker2").map((i) => [i.content, i.className]);
    expect(docker2).toEqual([
      ["Ready/Reachable", "state good"],
      ["Down/Unreachable", "state bad"],
    ]);
    expect(d.items.filter((i) => i.group === "faults").map((i) => i.content)).toEqual(["stop docker2", "visible: swarm: docker2 Down (10 s)", "healed", "all Synced"]);
    expect(d.items.filter((i) => i.group === "tasks").map((i) => i.content)).toEqual(["1@docker1 2@docker2", "1@docker1 2@docker1"]);
  });
  it("is one self-contained page: the library inline, no external script or stylesheet", () => {
    const html = timelineHtml(result);
    expect(html).toContain("new vis.Timeline(");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain("Down/Unreachable");
  });
});

describe("walk details", () => {
  it("joins the walkthrough's wrapped command lines before comparing", () => {
    const walk = "docker swarm join \\\n--token SWMTKN-1-43yqmld4mddoddnaxpslsg9s6abxfkkzrbprizzqoofad4rma1-4370suyaolwu0ts8ujv3r7xy2 \\\n192.168.10.201:2377";
    const real = "    docker swarm join --token SWMTKN-1-56rlzlaxsvjsc49o5dlnbnrk5tyx862m2cnj9djzsi3r1guslq-0i541wz1ownvaklqjpqwc4vls 192.168.10.201:2377";
    const c = compareOutputs(real, walk);
    expect(c.equivalent).toBe(true);
    expect(c.lines).toHaveLength(1);
  });
});

import { stoppedMessage } from "../../src/walk/walk.js";

describe("a learner who quits walk", () => {
  it("is told where the walk stopped and how to pick up there or start over, not that it failed", () => {
    const r = { report: { ok: false } as never, stoppedBefore: 2, steps: 21, stepTitles: ["a", "b", "docker1: docker swarm join-token manager"] };
    const m = stoppedMessage("seed", r, false);
    expect(m).toContain("Stopped before step 3 of 21 (docker1: docker swarm join-token manager). The lab was removed.");
    expect(m).toContain("To pick up there: swarmlab walk seed --from 3   (steps 1-2 run again without pausing)");
    expect(m).toContain("To start over:    swarmlab walk seed");
    expect(m).not.toMatch(/FAILED/);
    expect(stoppedMessage("seed", { ...r, stoppedBefore: 0 }, true)).not.toMatch(/pick up there/);
  });
});
