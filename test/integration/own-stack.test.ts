/**
 * Bring your own stack, for real: a second, independent Galera design (examples/tasks-discovery)
 * built here, pushed to the lab's registry, deployed from its own stack file and broken with the
 * same faults; and `images load` of a user's image into every host.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { runSession } from "../../src/scenarios/session.js";
import { labelled } from "./helpers.js";

const LAB = "swarmlab-own";

describe("bring your own stack", () => {
  it("examples/tasks-discovery: built, pushed, deployed as a stack, handed over, cut and stopped, healed, and judged for its own service", async () => {
    const dir = "reports/test-own-stack";
    const report = await runSession(["examples/tasks-discovery/scenario.yaml"], { name: LAB, reportDir: dir });
    const s = report.scenarios.find((x) => x.scenario === "tasks-discovery")!;
    expect(s.ok, s.steps.find((x) => !x.ok)?.error).toBe(true);
    const history = s.steps.find((x) => x.title === "no acknowledged write lost, every member holds the same rows")!.details as { service: string; counts: { ok: number } };
    expect(history.service).toBe("tasks_node");
    expect(history.counts.ok).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(`${dir}/report.json`, "utf8")).ok).toBe(true);
    expect(await labelled(LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("a user's files copied into every host; the http and tcp probes pointed at a service of theirs", async () => {
    const report = await runSession(["test/fixtures/own-probes/scenario.yaml"], { name: LAB, reportDir: "reports/test-own-probes" });
    const s = report.scenarios.find((x) => x.scenario === "own-probes")!;
    expect(s.ok, s.steps.find((x) => !x.ok)?.error).toBe(true);
    expect(s.steps.find((x) => x.kind === "copy")!.details).toEqual({ copied: expect.arrayContaining(["docker1:/etc/app", "docker2:/etc/app", "docker3:/etc/app"]) });
    expect(s.steps.find((x) => x.title.startsWith("GET from inside"))!.details).toMatchObject({ status: 200 });
  });

  it("images load copies a user's image into every host once, refuses a missing one changing nothing", async () => {
    const cli = (args: string[]) => execa("node", ["bin/swarmlab.js", "--name", LAB, ...args], { reject: false, env: { ...process.env, CI: "1" } });
    // An image no host can hold yet (a label of its own makes a new image ID).
    await execa("docker", ["build", "-q", "-t", "swarmlab-test-app:1.0", "-"], { input: `FROM swarmlab/base:latest\nLABEL swarmlab.test=${Date.now()}\n` });
    try {
      expect((await cli(["up"])).exitCode).toBe(0);
      const first = await cli(["images", "load", "swarmlab-test-app:1.0"]);
      expect(first.stdout).toMatch(/^3 loads, 0 already there/m);
      const again = await cli(["images", "load", "swarmlab-test-app:1.0"]);
      expect(again.stdout).toMatch(/^0 loads, 3 already there/m);
      const missing = await cli(["images", "load", "swarmlab-test-app:1.0", "no-such-image:9"]);
      expect(missing.exitCode).toBe(1);
      expect(missing.stderr).toMatch(/not on this machine's engine: no-such-image:9 \(nothing was changed on any host\)/);
      expect(missing.stderr).toMatch(/hint: build or pull it first/);
    } finally {
      await cli(["down"]);
      await execa("docker", ["rmi", "swarmlab-test-app:1.0"], { reject: false });
    }
  });
});
