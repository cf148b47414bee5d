/** `--images upstream` refuses a scenario that needs the lab's own Galera image before anything is made. */
import { describe, expect, it, vi } from "vitest";

// Nothing may be made: a lab started here would mean the refusal came too late.
vi.mock("../../src/lab.js", () => ({
  startLab: vi.fn(async () => {
    throw new Error("startLab must not be called");
  }),
}));

const { runSession } = await import("../../src/scenarios/session.js");

describe("runSession with --images upstream", () => {
  it("refuses clock-skew and chaos-short before any lab, naming each and the fix", async () => {
    const err = await runSession(["seed", "clock-skew", "chaos-short"], { reportDir: "/tmp/swarmlab-unit-never-written", images: "upstream" }).catch((e: Error & { hint?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    const e = err as Error & { hint?: string };
    expect(e.message).toMatch(/^clock-skew needs the lab's own Galera image, which --images upstream does not run: step \d+, fault clock: /);
    expect(e.message).toMatch(/\nchaos-short needs the lab's own Galera image, .*chaos draws clock faults/);
    expect(e.message).not.toMatch(/^seed/m);
    expect(e.hint).toBe("run it with --images local");
  });

  it("a bad --images value is refused before anything too", async () => {
    await expect(runSession(["seed"], { reportDir: "/tmp/swarmlab-unit-never-written", images: "registry" as never })).rejects.toThrow(/^--images "registry": use local/);
  });
});
