/** Bench figures: the median of several runs with its min and max, and the Markdown table. Pure. */

export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function figure(values: number[]): Figure | undefined {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return undefined;
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { median: r(median), min: r(s[0]!), max: r(s.at(-1)!), runs: v.map(r) };
}

/**
 * What each figure means, its unit, the target an earlier issue set for a 2-core machine (`target`),
 * and the stricter one issue 14 set for the next changes (`goal`). Both are shown, each with its
 * own verdict: a median above a target is marked as missing it.
 */
export const FIGURES: Record<string, { what: string; unit: string; target?: number; goal?: number }> = {
  coldUpSeconds: { what: "`up --swarm` with none of the lab's images present (builds them from Debian packages)", unit: "s", goal: 90 },
  warmUpSeconds: { what: "`up --swarm` with the images present", unit: "s", target: 20, goal: 5 },
  seedToSyncedSeconds: { what: "from `docker service create` to three Synced members", unit: "s", target: 45, goal: 12 },
  seedRunSeconds: { what: "the whole warm `run seed` (hosts, walkthrough, checks, removal)", unit: "s", target: 90, goal: 20 },
  nodeStopToSyncedSeconds: { what: "node-stop: from stopping docker2 to three Synced members (task rescheduled)", unit: "s", target: 30, goal: 25 },
  partitionHealToPrimarySeconds: { what: "partition-swarm-ports: from the heal to three Synced members in one Primary component", unit: "s", target: 15, goal: 5 },
  imagesLoadSeconds: { what: "`images load` of the galera image into three hosts that do not hold it (issue 11's cold case; its archive already saved on this machine; a host that holds the same image ID is skipped in well under a second)", unit: "s", target: 30 },
  stackDeployToSyncedSeconds: { what: "examples/tasks-discovery: from `docker stack deploy` to a cluster of three Synced (seed, then node scaled to 2)", unit: "s" },
  labPeakRssMiB: { what: "peak resident memory of all processes in the three hosts during the seed", unit: "MiB", target: 2048 },
  baselineSeconds: { what: "the same as seedRunSeconds, as a plain shell script of docker commands (bench/baseline.sh), its hosts' images kept between runs as the lab's host image cache keeps the lab's", unit: "s" },
  overheadRatio: { what: "seedRunSeconds / baselineSeconds, measured in the same bench run, both with the images already in their hosts", unit: "", target: 1.1, goal: 1.05 },
};

export const TUNED_TARGETS: Record<string, number> = { nodeStopToSyncedSeconds: 15, partitionHealToPrimarySeconds: 5 };

/** Issue 14's targets for the tuned profile (stricter than TUNED_TARGETS). */
export const TUNED_GOALS: Record<string, number> = { nodeStopToSyncedSeconds: 8, partitionHealToPrimarySeconds: 3 };

/** " ✓" when a value meets the limit, " ✗" when it is above it, "" when either is missing. */
export function valueVerdict(v: number | undefined, limit: number | undefined): string {
  return v !== undefined && limit !== undefined ? (v <= limit ? " ✓" : " ✗") : "";
}

/** The same for a figure's median. */
export function verdict(f: Figure | undefined, limit: number | undefined): string {
  return valueVerdict(f?.median, limit);
}

/** A figure in a cell: its median, with (min–max) when the runs differ; `missing` when not measured. */
export const compactFigure = (f: Figure | undefined, missing = ""): string => (f ? (f.min === f.max ? `${f.median}` : `${f.median} (${f.min}–${f.max})`) : missing);

/** The issue-14 cell: each goal with the verdict of the figure it judges (defaults, then tuned). */
function goalCell(key: string, unit: string, f: Figure | undefined, t: Figure | undefined): string {
  const goal = FIGURES[key]?.goal;
  const tuned = TUNED_GOALS[key];
  const parts: string[] = [];
  if (goal !== undefined) parts.push(`≤ ${goal}${unit ? ` ${unit}` : ""}${verdict(f, goal)}`);
  if (tuned !== undefined) parts.push(`tuned ≤ ${tuned}${verdict(t, tuned)}`);
  return parts.join(", ");
}

export function markdownTable(figures: Record<string, Figure | undefined>, tuned: Record<string, Figure | undefined>): string {
  const fmt = (f?: Figure) => (f ? `${f.median} (${f.min}–${f.max})` : "not measured");
  const rows = Object.entries(FIGURES).map(([key, meta]) => {
    const t = tuned[key];
    const target = meta.target !== undefined ? `≤ ${meta.target}${meta.unit ? ` ${meta.unit}` : ""}${TUNED_TARGETS[key] !== undefined ? ` (tuned ≤ ${TUNED_TARGETS[key]})` : ""}` : "";
    return `| ${key} | ${fmt(figures[key])}${verdict(figures[key], meta.target)} | ${t ? `${fmt(t)}${verdict(t, TUNED_TARGETS[key])}` : ""} | ${target} | ${goalCell(key, meta.unit, figures[key], t)} | ${meta.what} |`;
  });
  return ["| figure | walkthrough defaults: median (min–max) | tuned profile | target | issue 14 target | what it measures |", "| --- | --- | --- | --- | --- | --- |", ...rows].join("\n");
}
