/** The session's plan, without a lab: which scenario may start on the lab the previous one left, and with which timers. */
import { describe, expect, it } from "vitest";
import { groupByTimers, profileFor, reuseVerdict, type LabLeft } from "../../src/scenarios/session.js";
import { allScenarioNames } from "../../src/scenarios/session.js";
import { loadScenario } from "../../src/scenarios/schema.js";
import { resolveLabSize } from "../../src/hosts/size.js";
import type { Profile } from "../../src/scenarios/profile.js";

const three = resolveLabSize({}, 3);
const five = resolveLabSize({ hosts: 5 }, 3);
const seedLeft = (profile: Profile = "walkthrough"): LabLeft => ({ size: three, profile, galera: true });
const galera = (profile: Profile = "walkthrough") => ({ state: "galera" as const, size: three, profile });

describe("reuseVerdict", () => {
  it("reuses the seed's cluster for a Galera scenario of the same size and timers", () => {
    expect(reuseVerdict(seedLeft(), galera())).toEqual({ reuse: true });
    expect(reuseVerdict(seedLeft("tuned"), galera("tuned"))).toEqual({ reuse: true });
  });
  it("starts from new hosts with no lab, with --fresh, or for a scenario that needs bare hosts or a swarm", () => {
    expect(reuseVerdict(undefined, galera())).toEqual({ reuse: false, why: "no lab yet" });
    expect(reuseVerdict(seedLeft(), galera(), true)).toEqual({ reuse: false, why: "--fresh" });
    expect(reuseVerdict(seedLeft(), { state: "bare", size: three, profile: "walkthrough" })).toEqual({ reuse: false, why: "it needs bare hosts" });
    expect(reuseVerdict(seedLeft(), { state: "swarm", size: three, profile: "walkthrough" })).toEqual({ reuse: false, why: "it needs a swarm without Galera" });
  });
  it("does not reuse a lab the previous scenario did not leave as the seed's cluster (failed, or another start state)", () => {
    expect(reuseVerdict({ size: three, profile: "walkthrough", galera: false }, galera())).toEqual({ reuse: false, why: "the previous scenario did not leave the seed's cluster" });
  });
  it("does not reuse a lab of another size", () => {
    expect(reuseVerdict(seedLeft(), { state: "galera", size: five, profile: "walkthrough" })).toEqual({
      reuse: false,
      why: "it runs on 5 hosts (3 managers, 2 workers), 5 replicas, the lab has 3 hosts (3 managers), 3 replicas",
    });
  });
  it("does not reuse a lab whose seed ran with other timers: Galera reads them only when a member starts", () => {
    expect(reuseVerdict(seedLeft(), galera("tuned"))).toEqual({ reuse: false, why: "it runs with the tuned timers, the lab has the walkthrough ones" });
    expect(reuseVerdict(seedLeft("tuned"), galera())).toEqual({ reuse: false, why: "it runs with the walkthrough timers, the lab has the tuned ones" });
  });
  it("grouped, scenarios of one profile share a lab; interleaved, every change of timers costs new hosts and the seed", () => {
    const labsFor = (profiles: Profile[]) => {
      let left: LabLeft | undefined;
      let labs = 0;
      for (const profile of profiles) {
        if (!reuseVerdict(left, galera(profile)).reuse) labs += 1;
        left = { size: three, profile, galera: true };
      }
      return labs;
    };
    expect(labsFor(["walkthrough", "walkthrough", "tuned", "tuned", "tuned"])).toBe(2);
    expect(labsFor(["walkthrough", "tuned", "walkthrough", "tuned", "walkthrough"])).toBe(5);
  });
});

describe("profileFor", () => {
  it("an explicit --profile wins; else the file's own; else the walkthrough's defaults", () => {
    expect(profileFor({}, undefined)).toBe("walkthrough");
    expect(profileFor({ profile: "tuned" }, undefined)).toBe("tuned");
    expect(profileFor({ profile: "tuned" }, "walkthrough")).toBe("walkthrough");
    expect(profileFor({}, "tuned")).toBe("tuned");
  });
});

describe("the shipped scenarios' timers", () => {
  const tuned = allScenarioNames().filter((n) => loadScenario(n).profile === "tuned");
  it("every scenario with profile: tuned says so, and why, in its description", () => {
    expect(tuned.length).toBeGreaterThan(0);
    for (const n of tuned) expect(loadScenario(n).description ?? "", n).toMatch(/Runs with the tuned timers \(`profile: tuned`[\s\S]*the lesson is/);
  });
  it("the seed and the scenarios that show how long swarm takes to notice a lost host keep the walkthrough's timers", () => {
    for (const n of ["seed", "node-stop", "host-pause", "leader-loss", "rolling-restart"]) expect(tuned, n).not.toContain(n);
  });
});

describe("groupByTimers (run --all)", () => {
  const s = (name: string, profile?: Profile) => ({ name, ...(profile ? { profile } : {}) });
  it("the walkthrough's scenarios first, in their order, then the tuned ones, in theirs", () => {
    const list = [s("seed"), s("asymmetric-partition", "tuned"), s("bootstrap-race"), s("partition-vxlan", "tuned"), s("rolling-restart")];
    expect(groupByTimers(list).map((x) => x.name)).toEqual(["seed", "bootstrap-race", "rolling-restart", "asymmetric-partition", "partition-vxlan"]);
  });
  it("keeps the order when --profile gives every scenario the same timers", () => {
    const list = [s("seed"), s("asymmetric-partition", "tuned"), s("bootstrap-race")];
    expect(groupByTimers(list, "tuned")).toEqual(list);
    expect(groupByTimers(list, "walkthrough")).toEqual(list);
  });
  it("every shipped scenario, grouped: one change of timers", () => {
    const grouped = groupByTimers(allScenarioNames().map((n) => loadScenario(n)));
    expect(grouped[0]!.name).toBe("seed");
    const changes = grouped.filter((x, i) => i > 0 && profileFor(x) !== profileFor(grouped[i - 1]!)).length;
    expect(changes).toBe(1);
  });
});
