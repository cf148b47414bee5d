import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { SUITE_BLOCKS, SUITE_SCENARIOS } from "../../src/scenarios/suite-list.js";
import { allScenarioNames, profileFor } from "../../src/scenarios/session.js";
import { loadScenario } from "../../src/scenarios/schema.js";
import { benchSuite, suiteMarkdown, suiteSecondsOf } from "../../src/bench/suite.js";
import { BASELINE_NOTE, BASELINE_SCRIPT, baselineLoaded, benchJson, benchMarkdown, parseBaselineOutput, type BenchResult } from "../../src/bench/bench.js";
import { figure, markdownTable } from "../../src/bench/figures.js";
import { benchOptionsFrom } from "../../src/cli/bench-command.js";
import type { RunReport } from "../../src/report/report.js";
import type { ScenarioResult } from "../../src/context/run-context.js";

describe("the integration suite's scenario list (one place for the test and the bench)", () => {
  it("holds every scenario file once, the seed first", () => {
    expect(new Set(SUITE_SCENARIOS).size).toBe(SUITE_SCENARIOS.length);
    expect([...SUITE_SCENARIOS].sort()).toEqual(allScenarioNames().sort());
    expect(SUITE_SCENARIOS[0]).toBe("seed");
    expect(SUITE_SCENARIOS).toEqual(SUITE_BLOCKS.flatMap((b) => [...b.scenarios]));
  });

  it("keeps each block's scenarios on the timers their files ask for, the tuned ones together", () => {
    for (const b of SUITE_BLOCKS) for (const n of b.scenarios) expect([n, profileFor(loadScenario(n))]).toEqual([n, b.timers]);
    expect(SUITE_BLOCKS.filter((b) => b.timers === "tuned")).toHaveLength(1);
  });
});

const result = (scenario: string, seconds: number, ok = true) => ({ scenario, seconds, ok }) as unknown as ScenarioResult;
const report = (over: Partial<RunReport> = {}): Pick<RunReport, "ok" | "interrupted" | "scenarios" | "setup"> => ({
  ok: true,
  scenarios: [result("seed", 30.04), result("node-stop", 61.26), result("leader-loss", 64)],
  setup: [
    { title: "seed: lab (bare hosts)", seconds: 6.2 },
    { title: "node-stop: reused the lab (3 Synced members)", seconds: 1.1 },
    { title: "leader-loss: lab (bare hosts): the previous scenario did not leave the seed's cluster", seconds: 5.9 },
    { title: "leader-loss: seed as start state", seconds: 29.8 },
  ],
  ...over,
});
const LIST = ["seed", "node-stop", "leader-loss"];

describe("bench: suiteSeconds", () => {
  it("takes the session's wall seconds, each scenario's, the set-up and the labs it made", () => {
    const s = benchSuite(report(), 205.449, LIST, { lab: "swarmlab-bench", reportDir: "bench/results/reports/suite" });
    expect(s).toEqual({
      seconds: 205.4,
      ok: true,
      lab: "swarmlab-bench",
      reportDir: "bench/results/reports/suite",
      scenarios: [
        { scenario: "seed", seconds: 30, ok: true },
        { scenario: "node-stop", seconds: 61.3, ok: true },
        { scenario: "leader-loss", seconds: 64, ok: true },
      ],
      setupSeconds: 43,
      labs: 2,
      missing: [],
    });
    expect(suiteSecondsOf(s)).toBe(205.4);
    expect(suiteSecondsOf(undefined)).toBeNull();
  });

  it("is null in --json when a scenario failed or the session stopped, and names what did not run", () => {
    const failed = benchSuite(report({ ok: false, scenarios: [result("seed", 30), result("node-stop", 90, false)] }), 150, LIST, { lab: "b", reportDir: "r" });
    expect(suiteSecondsOf(failed)).toBeNull();
    expect(failed.missing).toEqual(["leader-loss"]);
    const md = suiteMarkdown(failed);
    expect(md).toContain("FAILED: node-stop");
    expect(md).toContain("(not reported in --json: not every scenario passed)");
    expect(md).toContain("Not run (the session stopped before them): leader-loss.");
    expect(suiteMarkdown(benchSuite(report({ ok: false, interrupted: true, scenarios: [] }), 3, LIST, { lab: "b", reportDir: "r" }))).toContain("INTERRUPTED");
  });

  it("writes a Markdown section: the total, where it went, a row per scenario in the order they ran", () => {
    const md = suiteMarkdown(benchSuite(report(), 205.4, LIST, { lab: "swarmlab-bench", reportDir: "bench/results/reports/suite" }));
    expect(md).toContain("## The integration suite's scenario list, once (`suiteSeconds`)");
    expect(md).toContain("`suiteSeconds`: **205.4 s**, the wall time of one session of 3 scenario(s) on the lab `swarmlab-bench`");
    expect(md).toContain("every scenario passed. 155.3 s in the scenarios themselves, 43 s of set-up (2 new lab(s) with their seed, and the checks of a lab that was reused)");
    expect(md).toContain("| # | scenario (in the order they ran) | seconds | result |");
    expect(md).toContain("| 1 | seed | 30 | ✓ |\n| 2 | node-stop | 61.3 | ✓ |\n| 3 | leader-loss | 64 | ✓ |");
  });

  const bench = (over: Partial<BenchResult> = {}): BenchResult => ({
    date: "2026-12-01T10:00:00.000Z",
    machine: { cpus: 2, memGiB: 24, kernel: "6.18", engine: "20.10.24" },
    runs: 1,
    figures: { seedRunSeconds: figure([28.7]), baselineSeconds: figure([27.9]), overheadRatio: figure([1.03]) },
    tuned: {},
    notes: [BASELINE_NOTE],
    ...over,
  });

  it("is a key of bench --json and a section of the .md, both absent figures when skipped", () => {
    const suite = benchSuite(report(), 205.4, LIST, { lab: "swarmlab-bench", reportDir: "r" });
    expect(benchJson(bench({ suite }))).toMatchObject({ seedRunSeconds: 28.7, overheadRatio: 1.03, seedBreakdown: null, suiteSeconds: 205.4 });
    expect(benchJson(bench()).suiteSeconds).toBeNull();
    const md = benchMarkdown(bench({ suite }));
    expect(md).toContain("## The integration suite's scenario list, once (`suiteSeconds`)");
    expect(md).toContain(`- ${BASELINE_NOTE}`);
    expect(benchMarkdown(bench())).not.toContain("suiteSeconds`)");
  });
});

describe("bench: the fair baseline", () => {
  it("judges overheadRatio against issue 14's 1.05 beside the earlier 1.1", () => {
    expect(markdownTable({ overheadRatio: figure([1.03]) }, {})).toMatch(/\| overheadRatio \| 1\.03 \(1\.03–1\.03\) ✓ \|  \| ≤ 1\.1 \| ≤ 1\.05 ✓ \|/);
    expect(markdownTable({ overheadRatio: figure([1.08]) }, {})).toMatch(/\| overheadRatio \| 1\.08 \(1\.08–1\.08\) ✓ \|  \| ≤ 1\.1 \| ≤ 1\.05 ✗ \|/);
  });

  it("reads the script's images line and its seconds", () => {
    const out = "images: base-docker1 swarmlab/etcd same image ID; base-docker1 swarmlab/galera loaded\n31.4\n";
    expect(parseBaselineOutput(out)).toEqual({ seconds: 31.4, images: "base-docker1 swarmlab/etcd same image ID; base-docker1 swarmlab/galera loaded" });
    expect(baselineLoaded(parseBaselineOutput(out).images)).toBe(true);
    expect(baselineLoaded("base-docker1 swarmlab/etcd same image ID; base-docker2 swarmlab/galera same image ID")).toBe(false);
    expect(parseBaselineOutput("images: x\nbaseline: oops")).toMatchObject({ seconds: Number.NaN });
    expect(parseBaselineOutput("")).toEqual({ seconds: Number.NaN, images: "" });
  });

  // Only what the script does before its first docker command.
  const script = (args: string[], env: Record<string, string> = {}) => execa("/bin/bash", [BASELINE_SCRIPT, ...args], { reject: false, extendEnv: false, env: { PATH: "/nonexistent", ...env } });

  it("bench/baseline.sh refuses an unknown argument (exit 2), prints its header for --help, and needs its images before anything else", async () => {
    const bad = await script(["--cold"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('unknown argument "--cold"');
    const help = await script(["--help"], { PATH: process.env.PATH ?? "" });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("bench/baseline.sh --prepare");
    expect(help.stdout).toContain("bench/baseline.sh --clean");
    // With PATH pointing nowhere, no docker command could run even by mistake.
    const none = await script([]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toMatch(/DIND_IMAGE/);
  });
});

describe("bench command options", () => {
  const defaults = { runs: "3", cold: true, tuned: true, suite: true, out: "bench/results" };
  it("measures everything by default; each --no-* skips its part", () => {
    expect(benchOptionsFrom(defaults)).toEqual({ runs: 3, cold: true, tuned: true, suite: true, scale: true, outDir: "bench/results" });
    expect(benchOptionsFrom({ ...defaults, suite: false })).toMatchObject({ suite: false, cold: true, tuned: true });
    expect(benchOptionsFrom({ ...defaults, cold: false, tuned: false, suite: false, runs: "1", out: "x" })).toEqual({ runs: 1, cold: false, tuned: false, suite: false, scale: true, outDir: "x" });
  });
  it("refuses runs that are not a whole number from 1 to 20, and an empty --out", () => {
    for (const runs of ["0", "21", "1.5", "-1", "three", "", " 3"]) expect(() => benchOptionsFrom({ ...defaults, runs }), runs).toThrow(/--runs must be a whole number from 1 to 20/);
    expect(benchOptionsFrom({ ...defaults, runs: "20" }).runs).toBe(20);
    expect(() => benchOptionsFrom({ ...defaults, out: " " })).toThrow(/--out must name a folder/);
  });
});
