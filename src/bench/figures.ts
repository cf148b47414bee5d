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

/** What each figure means, its unit, and the target the issue set for a 2-core machine. */
export const FIGURES: Record<string, { what: string; unit: string; target?: number }> = {
  coldUpSeconds: { what: "`up --swarm` with none of the lab's images present (builds them from Debian packages)", unit: "s" },
  warmUpSeconds: { what: "`up --swarm` with the images present", unit: "s", target: 20 },
  seedToSyncedSeconds: { what: "from `docker service create` to three Synced members", unit: "s", target: 45 },
  seedRunSeconds: { what: "the whole warm `run seed` (hosts, walkthrough, checks, removal)", unit: "s", target: 90 },
  nodeStopToSyncedSeconds: { what: "node-stop: from stopping docker2 to three Synced members (task rescheduled)", unit: "s", target: 30 },
  partitionHealToPrimarySeconds: { what: "partition-swarm-ports: from the heal to three Synced members in one Primary component", unit: "s", target: 15 },
  imagesLoadSeconds: { what: "`images load` of the galera image into three hosts that do not hold it (issue 11's cold case; its archive already saved on this machine; a host that holds the same image ID is skipped in well under a second)", unit: "s", target: 30 },
  stackDeployToSyncedSeconds: { what: "examples/tasks-discovery: from `docker stack deploy` to a cluster of three Synced (seed, then node scaled to 2)", unit: "s" },
  labPeakRssMiB: { what: "peak resident memory of all processes in the three hosts during the seed", unit: "MiB", target: 2048 },
  baselineSeconds: { what: "the same as seedRunSeconds, as a plain shell script of docker commands (bench/baseline.sh)", unit: "s" },
  overheadRatio: { what: "seedRunSeconds / baselineSeconds, measured in the same bench run", unit: "", target: 1.1 },
};

export const TUNED_TARGETS: Record<string, number> = { nodeStopToSyncedSeconds: 15, partitionHealToPrimarySeconds: 5 };

export function markdownTable(figures: Record<string, Figure | undefined>, tuned: Record<string, Figure | undefined>): string {
  const fmt = (f?: Figure) => (f ? `${f.median} (${f.min}–${f.max})` : "not measured");
  const rows = Object.entries(FIGURES).map(([key, meta]) => {
    const t = tuned[key];
    const target = meta.target !== undefined ? `≤ ${meta.target}${meta.unit ? ` ${meta.unit}` : ""}${TUNED_TARGETS[key] !== undefined ? ` (tuned ≤ ${TUNED_TARGETS[key]})` : ""}` : "";
    const met = (f: Figure | undefined, limit: number | undefined) => (f && limit !== undefined ? (f.median <= limit ? " ✓" : " ✗") : "");
    return `| ${key} | ${fmt(figures[key])}${met(figures[key], meta.target)} | ${t ? `${fmt(t)}${met(t, TUNED_TARGETS[key])}` : ""} | ${target} | ${meta.what} |`;
  });
  return ["| figure | walkthrough defaults: median (min–max) | tuned profile | target | what it measures |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
