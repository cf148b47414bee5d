/**
 * The bench's scale phase (issue 15): what each added host costs. For labs of 3, 5 and 7 hosts, one
 * pass per size and bench run: a warm `up --swarm` of that many hosts (timed, then taken down), then
 * the seed on that many hosts (one Galera member each), its `docker service create` → every member
 * Synced, and the peak resident memory of the lab's hosts during the seed. Pure: the passes in; the
 * medians per size, the derived figures (the 7-to-3 ratio of `up`, memory's slope per host and
 * whether it looks linear), the `--json` keys and the Markdown section out.
 */
import { compactFigure, figure, valueVerdict, type Figure } from "./figures.js";
import { defaultManagers } from "../hosts/size.js";

/** The lab sizes the phase measures, smallest first. */
export const SCALE_SIZES: readonly number[] = [3, 5, 7];

/** Issue 15's targets. */
export const SCALE_TARGETS = {
  /** `up --swarm` of 7 hosts at most twice that of 3 (medians). */
  upRatio7to3: 2,
  /** Memory per added host, with its Galera member: the slope of the least-squares line, MiB per host. */
  rssPerHostMiB: 400,
  /** Memory "looks linear" when no size's median is further from the line than this share of the line's value there. */
  linearTolerance: 0.15,
} as const;

/** One size in one bench run. A measure is absent when its part failed; `errors` says why. */
export interface ScalePass {
  run: number;
  hosts: number;
  /** Swarm managers among the hosts (resolveLabSize's default: 3 from three hosts up; the rest workers). */
  managers: number;
  upSeconds?: number;
  seedToSyncedSeconds?: number;
  peakRssMiB?: number;
  errors: string[];
  /** The seed's report folder. */
  reportDir?: string;
}

export interface ScaleSize {
  hosts: number;
  managers: number;
  upSeconds?: Figure;
  seedToSyncedSeconds?: Figure;
  peakRssMiB?: Figure;
  /** Why a pass of this size lacks a measure: "run N: ...". */
  failures: string[];
}

export interface LinePoint {
  hosts: number;
  mib: number;
  /** The line's value at this size. */
  fitted: number;
  /** (measured − fitted) / fitted. */
  residual: number;
}

export interface RssLine {
  /** MiB per added host: scaleRssPerHostMiB. */
  slope: number;
  intercept: number;
  points: LinePoint[];
  /** The point furthest from the line, relative to the line's value there. */
  worst?: LinePoint;
  /** Within SCALE_TARGETS.linearTolerance at every point; undefined with fewer than three points (a line fits two exactly). */
  linear?: boolean;
}

export interface BenchScale {
  /** How many bench runs made passes (each figure is the median of the passes that measured it). */
  runs: number;
  lab: string;
  sizes: ScaleSize[];
  /** Median `up --swarm` of the largest size over that of the smallest (scaleUpRatio7to3). */
  upRatio?: number;
  rss?: RssLine;
  passes: ScalePass[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** The least-squares line y = slope·x + intercept through the points; undefined with fewer than two distinct x. Pure. */
export function leastSquares(points: ReadonlyArray<readonly [number, number]>): { slope: number; intercept: number } | undefined {
  if (points.length < 2) return undefined;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const slope = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Memory against the lab's size: the least-squares line through the sizes' medians, each point's
 * residual relative to the line, and whether memory looks linear (every residual within the
 * tolerance; with three equally spaced sizes the middle one's residual is twice each end's, so it is
 * the 5-host point that decides). Pure.
 */
export function rssLine(points: ReadonlyArray<{ hosts: number; mib: number }>, tolerance: number = SCALE_TARGETS.linearTolerance): RssLine | undefined {
  const line = leastSquares(points.map((p) => [p.hosts, p.mib] as const));
  if (!line) return undefined;
  const at = points.map((p): LinePoint => {
    const fitted = line.slope * p.hosts + line.intercept;
    return { hosts: p.hosts, mib: p.mib, fitted: r2(fitted), residual: fitted > 0 ? (p.mib - fitted) / fitted : Number.POSITIVE_INFINITY };
  });
  const worst = at.reduce<LinePoint | undefined>((w, p) => (!w || Math.abs(p.residual) > Math.abs(w.residual) ? p : w), undefined);
  return {
    slope: r2(line.slope),
    intercept: r2(line.intercept),
    points: at.map((p) => ({ ...p, residual: Math.round(p.residual * 10000) / 10000 })),
    ...(worst ? { worst: { ...worst, residual: Math.round(worst.residual * 10000) / 10000 } } : {}),
    ...(at.length >= 3 ? { linear: at.every((p) => Math.abs(p.residual) <= tolerance) } : {}),
  };
}

/** The median of `to` over that of `from`; undefined when either is missing (or zero). Pure. */
export function upRatio(up: ReadonlyMap<number, Figure | undefined>, from: number, to: number): number | undefined {
  const a = up.get(from)?.median;
  const b = up.get(to)?.median;
  return a && b !== undefined ? r2(b / a) : undefined;
}

/** The passes of every run summarised: medians per size, the ratio, memory's line. Pure. */
export function summariseScale(passes: readonly ScalePass[], where: { runs: number; lab: string }, sizes: readonly number[] = SCALE_SIZES): BenchScale {
  const of = (hosts: number, pick: (p: ScalePass) => number | undefined) => figure(passes.filter((p) => p.hosts === hosts).map(pick).filter((v): v is number => v !== undefined));
  const summaries = sizes.map((hosts): ScaleSize => {
    const own = passes.filter((p) => p.hosts === hosts);
    const s: ScaleSize = {
      hosts,
      managers: own[0]?.managers ?? defaultManagers(hosts),
      upSeconds: of(hosts, (p) => p.upSeconds),
      seedToSyncedSeconds: of(hosts, (p) => p.seedToSyncedSeconds),
      peakRssMiB: of(hosts, (p) => p.peakRssMiB),
      failures: own.flatMap((p) => p.errors.map((e) => `run ${p.run}: ${e}`)),
    };
    for (const k of ["upSeconds", "seedToSyncedSeconds", "peakRssMiB"] as const) if (!s[k]) delete s[k];
    return s;
  });
  const first = sizes[0];
  const last = sizes.at(-1);
  const ratio = first !== undefined && last !== undefined ? upRatio(new Map(summaries.map((s) => [s.hosts, s.upSeconds])), first, last) : undefined;
  const rss = rssLine(summaries.filter((s) => s.peakRssMiB).map((s) => ({ hosts: s.hosts, mib: s.peakRssMiB!.median })));
  return { runs: where.runs, lab: where.lab, sizes: summaries, ...(ratio !== undefined ? { upRatio: ratio } : {}), ...(rss ? { rss } : {}), passes: [...passes] };
}

/**
 * The keys `bench --json` prints for the phase: per size (its host count as the key) the median or
 * null where no pass of that size measured it; the derived figures or null. Every key is null with
 * --no-scale (no phase). Pure.
 */
export function scaleJson(s: BenchScale | undefined): Record<string, unknown> {
  const bySize = (pick: (z: ScaleSize) => Figure | undefined) => (s ? Object.fromEntries(s.sizes.map((z) => [String(z.hosts), pick(z)?.median ?? null])) : null);
  return {
    scaleUpSeconds: bySize((z) => z.upSeconds),
    scalePeakRssMiB: bySize((z) => z.peakRssMiB),
    scaleSeedToSyncedSeconds: bySize((z) => z.seedToSyncedSeconds),
    scaleUpRatio7to3: s?.upRatio ?? null,
    scaleRssPerHostMiB: s?.rss?.slope ?? null,
    scaleRssLinear: s?.rss?.linear ?? null,
  };
}


const fmt = (f?: Figure) => compactFigure(f, "not measured");
const pct = (x: number) => `${r2(x * 100)} %`;

/** The derived figures' rows: figure, value with its verdict, target, what it measures. Pure. */
export function scaleFigureRows(s: Pick<BenchScale, "upRatio" | "rss" | "sizes">): string[] {
  const small = s.sizes[0]?.hosts ?? 3;
  const large = s.sizes.at(-1)?.hosts ?? 7;
  const rss = s.rss;
  const linear =
    rss?.linear === undefined
      ? `not judged (${rss ? "two sizes measured: a line fits two points exactly" : "fewer than two sizes measured"})`
      : `${rss.linear ? "yes ✓" : "no ✗"}${rss.worst ? ` (largest residual ${pct(rss.worst.residual)}, at ${rss.worst.hosts} hosts)` : ""}`;
  return [
    `| scaleUpRatio7to3 | ${s.upRatio !== undefined ? `${s.upRatio}${valueVerdict(s.upRatio, SCALE_TARGETS.upRatio7to3)}` : "not measured"} | ≤ ${SCALE_TARGETS.upRatio7to3} | median warm \`up --swarm\` of ${large} hosts / of ${small} hosts |`,
    `| scaleRssPerHostMiB | ${rss ? `${rss.slope}${valueVerdict(rss.slope, SCALE_TARGETS.rssPerHostMiB)}` : "not measured"} | ≤ ${SCALE_TARGETS.rssPerHostMiB} MiB | memory per added host with its Galera member: the slope of the least-squares line through the sizes' median peak RSS${rss ? ` (intercept ${rss.intercept} MiB)` : ""} |`,
    `| scaleRssLinear | ${linear} | every residual ≤ ${pct(SCALE_TARGETS.linearTolerance)} | whether memory grows linearly with the hosts: each size's median peak RSS against the line, relative to the line's value there |`,
  ];
}

/** The Markdown section of the bench's .md: a row per size, the derived figures, what failed. Pure. */
export function scaleMarkdown(s: BenchScale): string {
  const sizes = s.sizes.map((z) => z.hosts).join(", ");
  const failures = s.sizes.flatMap((z) => z.failures.map((f) => `- ${z.hosts} hosts, ${f}`));
  return [
    `## Cost per added host: labs of ${sizes} hosts (\`scale…\`)`,
    "",
    `One pass per size in each of ${s.runs} run(s), on the bench's lab \`${s.lab}\`; each cell the median (min–max) of the passes that measured it. A pass: a warm \`up --swarm\` of N hosts (the default managers: all of them up to three, then three managers and the rest workers), timed and taken down; then the seed on N hosts (N Galera members, one per host): \`docker service create\` → N Synced, as seedToSyncedSeconds, and the peak resident memory of the N hosts during it, as labPeakRssMiB.`,
    "",
    "| hosts | managers, workers | `up --swarm` s (scaleUpSeconds) | service create → all Synced s (scaleSeedToSyncedSeconds) | peak RSS MiB (scalePeakRssMiB) | peak RSS per host MiB |",
    "| --- | --- | --- | --- | --- | --- |",
    ...s.sizes.map((z) => `| ${z.hosts} | ${z.managers}, ${z.hosts - z.managers} | ${fmt(z.upSeconds)} | ${fmt(z.seedToSyncedSeconds)} | ${fmt(z.peakRssMiB)} | ${z.peakRssMiB ? r2(z.peakRssMiB.median / z.hosts) : ""} |`),
    "",
    "| figure | value | issue 15 target | what it measures |",
    "| --- | --- | --- | --- |",
    ...scaleFigureRows(s),
    ...(failures.length ? ["", "What a pass did not measure (null in --json where no pass of that size did):", ...failures] : []),
  ].join("\n");
}
