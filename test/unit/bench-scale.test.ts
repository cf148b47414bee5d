import { describe, expect, it } from "vitest";
import { valueVerdict } from "../../src/bench/figures.js";
import { leastSquares, rssLine, scaleFigureRows, scaleJson, scaleMarkdown, summariseScale, upRatio, SCALE_SIZES, SCALE_TARGETS, type ScalePass } from "../../src/bench/scale.js";
import { figure } from "../../src/bench/figures.js";
import { BENCH_LAB, SCALE_NOTE, benchJson, benchMarkdown, type BenchResult } from "../../src/bench/bench.js";
import { benchOptionsFrom } from "../../src/cli/bench-command.js";
import { defaultManagers } from "../../src/hosts/size.js";

const pass = (hosts: number, up: number | undefined, synced: number | undefined, rss: number | undefined, run = 1, errors: string[] = []): ScalePass => ({
  run,
  hosts,
  managers: defaultManagers(hosts),
  ...(up !== undefined ? { upSeconds: up } : {}),
  ...(synced !== undefined ? { seedToSyncedSeconds: synced } : {}),
  ...(rss !== undefined ? { peakRssMiB: rss } : {}),
  errors,
});

describe("bench scale: the pure figures", () => {
  it("measures 3, 5 and 7 hosts with the default managers (three, the rest workers)", () => {
    expect(SCALE_SIZES).toEqual([3, 5, 7]);
    expect(SCALE_SIZES.map(defaultManagers)).toEqual([3, 3, 3]);
    expect(SCALE_TARGETS).toEqual({ upRatio7to3: 2, rssPerHostMiB: 400, linearTolerance: 0.15 });
  });

  it("fits the least-squares line, and refuses fewer than two distinct sizes", () => {
    expect(leastSquares([[3, 1000], [5, 1700], [7, 2400]])).toEqual({ slope: 350, intercept: -50 });
    // Not on one line: the slope of the ends' mean, through the points' mean.
    const l = leastSquares([[3, 1000], [5, 2000], [7, 2400]])!;
    expect(l.slope).toBeCloseTo(350, 9);
    expect(l.intercept).toBeCloseTo(1800 - 350 * 5, 9);
    expect(leastSquares([[3, 1000], [7, 2000]])).toEqual({ slope: 250, intercept: 250 });
    expect(leastSquares([[3, 1000]])).toBeUndefined();
    expect(leastSquares([[5, 1000], [5, 1200]])).toBeUndefined();
    expect(leastSquares([])).toBeUndefined();
  });

  it("judges memory linear when every size is within 15 % of the line (the middle point decides)", () => {
    const straight = rssLine([{ hosts: 3, mib: 1070 }, { hosts: 5, mib: 1750 }, { hosts: 7, mib: 2430 }])!;
    expect(straight).toMatchObject({ slope: 340, intercept: 50, linear: true });
    expect(straight.points.map((p) => p.residual)).toEqual([0, 0, 0]);
    // 5 hosts 2200 MiB: the line through the mean (1900 at 5) misses it by 300 MiB, 15.8 %.
    const bent = rssLine([{ hosts: 3, mib: 1000 }, { hosts: 5, mib: 2200 }, { hosts: 7, mib: 2500 }])!;
    expect(bent.slope).toBe(375);
    expect(bent.linear).toBe(false);
    expect(bent.worst).toMatchObject({ hosts: 5, mib: 2200, fitted: 1900, residual: 0.1579 });
    // 5 hosts 2100: 12.5 % above the line (1866.67 there), 10.4 % and 4.5 % below it at the ends.
    const near = rssLine([{ hosts: 3, mib: 1000 }, { hosts: 5, mib: 2100 }, { hosts: 7, mib: 2500 }])!;
    expect(near.linear).toBe(true);
    expect(near.worst?.hosts).toBe(5);
    expect(near.points.map((p) => p.residual)).toEqual([-0.1045, 0.125, -0.0446]);
    // A tolerance of its own.
    expect(rssLine([{ hosts: 3, mib: 1000 }, { hosts: 5, mib: 2100 }, { hosts: 7, mib: 2500 }], 0.1)!.linear).toBe(false);
  });

  it("does not judge linearity from two sizes, and has no line from one", () => {
    const two = rssLine([{ hosts: 3, mib: 1000 }, { hosts: 7, mib: 2600 }])!;
    expect(two.slope).toBe(400);
    expect(two.linear).toBeUndefined();
    expect(rssLine([{ hosts: 3, mib: 1000 }])).toBeUndefined();
  });

  it("takes the up ratio of the medians, undefined when a size is missing", () => {
    const up = new Map([[3, figure([6, 6.4, 5.8])], [5, figure([8])], [7, figure([11.1, 11.9, 12])]]);
    expect(upRatio(up, 3, 7)).toBe(1.98);
    expect(upRatio(new Map([[3, figure([6])], [7, undefined]]), 3, 7)).toBeUndefined();
    expect(upRatio(new Map([[7, figure([12])]]), 3, 7)).toBeUndefined();
  });

  it("verdicts: ✓ within the limit, ✗ above, nothing without a value", () => {
    expect(valueVerdict(2, 2)).toBe(" ✓");
    expect(valueVerdict(2.01, 2)).toBe(" ✗");
    expect(valueVerdict(undefined, 2)).toBe("");
  });
});

describe("bench scale: the summary, --json and the .md", () => {
  const passes = [
    pass(3, 6.1, 10.2, 1070.5),
    pass(5, 8.3, 14.1, 1745),
    pass(7, 11.8, 19.4, 2431),
    pass(3, 5.9, 9.8, 1060.5, 2),
    pass(5, 8.1, 13.9, 1755, 2),
    pass(7, 12.2, 20.6, 2429, 2),
  ];

  it("takes the median per size over the runs, the ratio and the line from the medians", () => {
    const s = summariseScale(passes, { runs: 2, lab: BENCH_LAB });
    expect(s.sizes.map((z) => [z.hosts, z.managers, z.upSeconds?.median, z.seedToSyncedSeconds?.median, z.peakRssMiB?.median])).toEqual([
      [3, 3, 6, 10, 1065.5],
      [5, 3, 8.2, 14, 1750],
      [7, 3, 12, 20, 2430],
    ]);
    expect(s.upRatio).toBe(2);
    expect(s.rss).toMatchObject({ slope: 341.13, linear: true });
    expect(s.passes).toHaveLength(6);
    expect(scaleJson(s)).toEqual({
      scaleUpSeconds: { "3": 6, "5": 8.2, "7": 12 },
      scalePeakRssMiB: { "3": 1065.5, "5": 1750, "7": 2430 },
      scaleSeedToSyncedSeconds: { "3": 10, "5": 14, "7": 20 },
      scaleUpRatio7to3: 2,
      scaleRssPerHostMiB: 341.13,
      scaleRssLinear: true,
    });
  });

  it("is null where a size failed, with the reason kept, and null throughout without the phase", () => {
    const s = summariseScale([pass(3, 6, 10, 1065), pass(5, 8, undefined, undefined, 1, ["the seed failed; see r/summary.md"]), pass(7, undefined, undefined, undefined, 1, ["up --swarm: no room", "the seed: no room"])], { runs: 1, lab: BENCH_LAB });
    expect(scaleJson(s)).toEqual({
      scaleUpSeconds: { "3": 6, "5": 8, "7": null },
      scalePeakRssMiB: { "3": 1065, "5": null, "7": null },
      scaleSeedToSyncedSeconds: { "3": 10, "5": null, "7": null },
      scaleUpRatio7to3: null,
      scaleRssPerHostMiB: null,
      scaleRssLinear: null,
    });
    expect(s.sizes[2]!.failures).toEqual(["run 1: up --swarm: no room", "run 1: the seed: no room"]);
    const md = scaleMarkdown(s);
    expect(md).toContain("| 7 | 3, 4 | not measured | not measured | not measured |  |");
    expect(md).toContain("- 5 hosts, run 1: the seed failed; see r/summary.md");
    expect(md).toContain("- 7 hosts, run 1: up --swarm: no room");
    expect(md).toContain("| scaleUpRatio7to3 | not measured | ≤ 2 |");
    expect(md).toContain("| scaleRssLinear | not judged (fewer than two sizes measured) |");
    expect(scaleJson(undefined)).toEqual({
      scaleUpSeconds: null,
      scalePeakRssMiB: null,
      scaleSeedToSyncedSeconds: null,
      scaleUpRatio7to3: null,
      scaleRssPerHostMiB: null,
      scaleRssLinear: null,
    });
  });

  it("writes the derived rows with their targets and verdicts", () => {
    const good = summariseScale(passes, { runs: 2, lab: BENCH_LAB });
    const rows = scaleFigureRows(good);
    expect(rows[0]).toMatch(/^\| scaleUpRatio7to3 \| 2 ✓ \| ≤ 2 \| median warm `up --swarm` of 7 hosts \/ of 3 hosts \|$/);
    expect(rows[1]).toMatch(/^\| scaleRssPerHostMiB \| 341\.13 ✓ \| ≤ 400 MiB \| memory per added host/);
    expect(rows[2]).toMatch(/^\| scaleRssLinear \| yes ✓ \(largest residual [\d.]+ %, at 5 hosts\) \| every residual ≤ 15 % \|/);
    const bad = summariseScale([pass(3, 6, 10, 1000), pass(5, 9, 15, 2400), pass(7, 13, 21, 2700)], { runs: 1, lab: BENCH_LAB });
    const [ratio, slope, linear] = scaleFigureRows(bad);
    expect(ratio).toContain("| 2.17 ✗ |");
    expect(slope).toContain("| 425 ✗ |");
    expect(linear).toContain("| no ✗ (largest residual 18.03 %, at 5 hosts) |");
    const two = summariseScale([pass(3, 6, 10, 1000), pass(7, 12, 20, 2600)], { runs: 1, lab: BENCH_LAB });
    expect(scaleFigureRows(two)[2]).toContain("| not judged (two sizes measured: a line fits two points exactly) |");
  });

  it("writes a section: a row per size with its managers and workers and memory per host", () => {
    const md = scaleMarkdown(summariseScale(passes, { runs: 2, lab: BENCH_LAB }));
    expect(md).toContain("## Cost per added host: labs of 3, 5, 7 hosts (`scale…`)");
    expect(md).toContain("One pass per size in each of 2 run(s), on the bench's lab `swarmlab-bench`");
    expect(md).toContain("| 3 | 3, 0 | 6 (5.9–6.1) | 10 (9.8–10.2) | 1065.5 (1060.5–1070.5) | 355.17 |");
    expect(md).toContain("| 7 | 3, 4 | 12 (11.8–12.2) | 20 (19.4–20.6) | 2430 (2429–2431) | 347.14 |");
    expect(md).toContain("| figure | value | issue 15 target | what it measures |");
    expect(md).not.toContain("What a pass did not measure");
  });

  const result = (over: Partial<BenchResult> = {}): BenchResult => ({
    date: "2026-12-01T10:00:00.000Z",
    machine: { cpus: 2, memGiB: 24, kernel: "6.18", engine: "20.10.24" },
    runs: 2,
    figures: { warmUpSeconds: figure([6]) },
    tuned: {},
    notes: [SCALE_NOTE],
    ...over,
  });

  it("adds its keys to bench --json beside the existing ones, and its section to the .md", () => {
    const scale = summariseScale(passes, { runs: 2, lab: BENCH_LAB });
    const json = benchJson(result({ scale }));
    expect(json).toMatchObject({ warmUpSeconds: 6, suiteSeconds: null, seedBreakdown: null, scaleUpRatio7to3: 2, scaleUpSeconds: { "3": 6, "5": 8.2, "7": 12 } });
    expect(Object.keys(json).at(-1)).toBe("details");
    expect(benchJson(result())).toMatchObject({ scaleUpSeconds: null, scaleRssPerHostMiB: null });
    expect(benchMarkdown(result({ scale }))).toContain("## Cost per added host");
    expect(benchMarkdown(result())).not.toContain("## Cost per added host");
  });
});

describe("bench command: --no-scale and --only-scale", () => {
  const defaults = { runs: "3", cold: true, tuned: true, suite: true, out: "bench/results" };
  it("measures the scale phase by default; --no-scale skips it", () => {
    expect(benchOptionsFrom(defaults)).toMatchObject({ scale: true });
    expect(benchOptionsFrom({ ...defaults, scale: false })).toMatchObject({ scale: false, cold: true, tuned: true, suite: true });
  });
  it("--only-scale measures the phase alone, and refuses --no-scale beside it", () => {
    expect(benchOptionsFrom({ ...defaults, runs: "1", onlyScale: true })).toEqual({ runs: 1, cold: false, tuned: false, suite: false, scale: true, onlyScale: true, outDir: "bench/results" });
    expect(() => benchOptionsFrom({ ...defaults, onlyScale: true, scale: false })).toThrow(/--only-scale and --no-scale contradict each other/);
    // Its other values are still checked.
    expect(() => benchOptionsFrom({ ...defaults, onlyScale: true, runs: "0" })).toThrow(/--runs must be a whole number/);
  });
});
