/** `swarmlab walk seed --auto` for real: every step of the seed, with its real output, in a process like a user's. */
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { loadScenario, stepTitle } from "../../src/scenarios/schema.js";
import { labelled } from "./helpers.js";

/** A lab of the test's own: a trainer's `swarmlab` lab is never touched. */
const WALK_LAB = "swarmlab-walk";

describe("swarmlab walk seed --auto", () => {
  it("shows every step of the seed with its real output beside the walkthrough's", async () => {
    const r = await execa("node", ["bin/swarmlab.js", "--name", WALK_LAB, "walk", "seed", "--auto", "--report", "reports/test-walk"], { reject: false, timeout: 20 * 60_000, env: { CI: "1" } });
    const out = r.stdout;
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const seed = loadScenario("seed");
    for (const [i, step] of seed.steps.entries()) expect(out).toContain(`Step ${i + 1}/${seed.steps.length} · ${stepTitle(step)}`);
    // real output: this run's node list and service tasks, next to the walkthrough's
    expect(out).toMatch(/docker1\.htsec\.com\s.*Ready\s.*Leader/);
    expect(out).toContain("The walkthrough printed");
    expect(out).toMatch(/Same as the walkthrough but for the parts that differ on every run \(id/);
    // etcd's member id follows its peer URL: the walkthrough's on its subnet, another on a free one
    expect(out).toMatch(/\{"members":\[\{"id":"[0-9a-f]{16}"/);
    expect(out.match(/✓ ok/g)?.length).toBe(seed.steps.length);
    expect(await labelled(WALK_LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("refuses an unknown language before making anything", async () => {
    const bad = await execa("node", ["bin/swarmlab.js", "--name", WALK_LAB, "walk", "seed", "--lang", "fr"], { reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/--lang must be en or zh/);
    expect(await labelled(WALK_LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
