/** `swarmlab walk seed --auto` for real: every step of the seed, with its real output, in a process like a user's. */
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { loadScenario, stepTitle } from "../../src/scenarios/schema.js";
import { labelled } from "./helpers.js";

describe("swarmlab walk seed --auto", () => {
  it("shows every step of the seed with its real output beside the walkthrough's", async () => {
    const r = await execa("node", ["bin/swarmlab.js", "walk", "seed", "--auto", "--report", "reports/test-walk"], { reject: false, timeout: 20 * 60_000, env: { CI: "1" } });
    const out = r.stdout;
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const seed = loadScenario("seed");
    for (const [i, step] of seed.steps.entries()) expect(out).toContain(`Step ${i + 1}/${seed.steps.length} · ${stepTitle(step)}`);
    // real output: this run's node list and service tasks, next to the walkthrough's
    expect(out).toMatch(/docker1\.htsec\.com\s.*Ready\s.*Leader/);
    expect(out).toContain("The walkthrough printed");
    expect(out).toMatch(/Same as the walkthrough but for the parts that differ on every run \(id/);
    expect(out).toContain('{"members":[{"id":"e4379b6d6b63f88c"');
    expect(out.match(/✓ ok/g)?.length).toBe(seed.steps.length);
    expect(await labelled("swarmlab")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("refuses an unknown language before making anything", async () => {
    const bad = await execa("node", ["bin/swarmlab.js", "walk", "seed", "--lang", "fr"], { reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/--lang must be en or zh/);
    expect(await labelled("swarmlab")).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
