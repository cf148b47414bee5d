/**
 * The bench's seedBreakdown: the seed's breakdowns (one per run, src/checks/seed-breakdown.ts)
 * summarised as medians per member position and phase, and the Markdown section. Pure.
 */
import { compactFigure, figure, type Figure } from "./figures.js";
import { PHASES, type MemberBreakdown, type Overlap, type SeedBreakdown } from "../checks/seed-breakdown.js";

/** The figures of each member, beyond its consecutive phases, that the summary keeps. */
const EXTRAS = [
  { key: "total", what: "**created → Synced** (its own Synced line)" },
  { key: "registeredAfterSynced", what: "not in the total: Synced → its registration in etcd (the first `state` Primary/Synced event; keepRegistration asks every 0.25 s until the first one)" },
  { key: "joinedAfterRegistration", what: "not in the total: another member's first registration → this joiner's `decision` (the etcd poll every 1 s, and the 4567 probe)" },
] as const;

export interface PositionSummary {
  /** bootstrap, joiner 1 (the first joiner Synced), joiner 2... */
  position: string;
  /** Which host held this position in each run. */
  hosts: string[];
  figures: Record<string, Figure | undefined>;
}

export interface BreakdownSummary {
  runs: number;
  positions: PositionSummary[];
  /** created → the last member's Synced line. */
  lastSynced?: Figure;
  /** created → the lab's wait saw every member Synced (seedToSyncedSeconds). */
  observedSynced?: Figure;
  /** created → swarm's CreatedAt of the service. */
  serviceCreated?: Figure;
  /** How many runs had their joins (decision → Synced), group joins and transfers at once or one after another. */
  joins: Partial<Record<Overlap, number>>;
  groupJoins: Partial<Record<Overlap, number>>;
  transfers: Partial<Record<Overlap, number>>;
}

/** The bench's seedBreakdown: its summary (medians) and each run's own breakdown. */
export interface BenchSeedBreakdown {
  summary: BreakdownSummary;
  runs: SeedBreakdown[];
}

/** The members of one breakdown by position: the bootstrap, then each joiner in the order it became Synced. */
export function positions(b: SeedBreakdown): Array<[string, MemberBreakdown]> {
  const out: Array<[string, MemberBreakdown]> = [];
  const boot = b.members.find((m) => m.role === "bootstrap");
  if (boot) out.push(["bootstrap", boot]);
  b.members.filter((m) => m.role === "joiner").forEach((m, i) => out.push([`joiner ${i + 1}`, m]));
  return out;
}

function count(values: Array<Overlap | undefined>): Partial<Record<Overlap, number>> {
  const out: Partial<Record<Overlap, number>> = {};
  for (const v of values) if (v) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export function summariseBreakdowns(runs: readonly SeedBreakdown[]): BreakdownSummary {
  const byPosition = new Map<string, Array<MemberBreakdown>>();
  for (const b of runs) for (const [p, m] of positions(b)) byPosition.set(p, [...(byPosition.get(p) ?? []), m]);
  const keys = [...PHASES.map((p) => p.key), ...EXTRAS.map((e) => e.key)];
  const summaries = [...byPosition.entries()].map(([position, members]): PositionSummary => {
    const figures: Record<string, Figure | undefined> = {};
    for (const k of keys) {
      const values = members.map((m) => (m.phases as Record<string, number | undefined>)[k] ?? (m.extras as Record<string, number | undefined>)[k]).filter((v): v is number => v !== undefined);
      const f = figure(values);
      if (f) figures[k] = f;
    }
    return { position, hosts: members.map((m) => m.host), figures };
  });
  const of = (pick: (b: SeedBreakdown) => number | undefined) => figure(runs.map(pick).filter((v): v is number => v !== undefined));
  const s: BreakdownSummary = {
    runs: runs.length,
    positions: summaries,
    lastSynced: of((b) => b.lastSynced),
    observedSynced: of((b) => b.observedSynced),
    serviceCreated: of((b) => b.serviceCreated),
    joins: count(runs.map((b) => b.joins)),
    groupJoins: count(runs.map((b) => b.groupJoins)),
    transfers: count(runs.map((b) => b.transfers)),
  };
  for (const k of ["lastSynced", "observedSynced", "serviceCreated"] as const) if (!s[k]) delete s[k];
  return s;
}

const fmt = (f?: Figure) => compactFigure(f);

function verdicts(c: Partial<Record<Overlap, number>>, runs: number): string {
  const parts = (["at once", "one after another"] as const).filter((k) => c[k]).map((k) => `${k} in ${c[k]} of ${runs}`);
  return parts.length ? parts.join(", ") : "not known (fewer than two joiners with both lines)";
}

/** One line per run: who bootstrapped, who joined in which order, how long the joiners waited and why. */
function runLine(b: SeedBreakdown, i: number): string {
  const ps = positions(b);
  const who = ps.map(([p, m]) => `${p} ${m.host} (${m.task.split(".").slice(0, 2).join(".")}${m.at.synced !== undefined ? `, Synced at ${m.at.synced} s` : ", no Synced line"})`).join("; ");
  const waits = ps
    .filter(([, m]) => m.discovery.waits)
    .map(([p, m]) => `${p} waited ${m.discovery.waits}× (${Object.keys(m.discovery.reasons).join("; ")})`)
    .join(", ");
  const probes = ps.flatMap(([p, m]) => m.discovery.probes.filter((x) => x.answering.length < x.peers.length).map((x) => `${p}'s probe at ${x.at} s: ${x.peers.filter((a) => !x.answering.includes(a)).join(", ")} did not answer on 4567`));
  const rest = b.members.filter((m) => !m.role).map((m) => `${m.host} ${m.task} (${m.state ?? "?"}, no decision line)`);
  return [`run ${i + 1}: ${who || "no member with a decision line"}`, waits, ...probes, ...rest.map((r) => `also ${r}`), ...b.notes].filter(Boolean).join("; ");
}

/** The Markdown section of the bench's .md: a table per position, then what the joins did. */
export function breakdownMarkdown(bd: BenchSeedBreakdown): string {
  const s = bd.summary;
  const cols = s.positions.map((p) => p.position);
  const rows = [...PHASES.map((p) => ({ key: p.key, what: p.what })), ...EXTRAS];
  const lines = [
    "## Where the seconds of `docker service create` → Synced go (`seedBreakdown`)",
    "",
    `Seconds, from each task's own log lines (\`docker logs -t\`: the entrypoint's \`[swarmlab-discovery]\` events, MariaDB's and Galera's lines), median (min–max) of ${s.runs} run(s); joiners in the order they became Synced. A phase runs from the line of the row above to the line its row names; an empty cell: a line was missing (nothing is estimated). Medians of phases need not add up to the median total.`,
    "",
    `| phase | ${cols.join(" | ")} | from → to |`,
    `| --- | ${cols.map(() => "---").join(" | ")} | --- |`,
    ...rows.map((r) => `| ${r.key} | ${s.positions.map((p) => fmt(p.figures[r.key])).join(" | ")} | ${r.what} |`),
    "",
    `- created → the last member's Synced line: ${s.lastSynced ? `${fmt(s.lastSynced)} s` : "not known"}; ${s.observedSynced ? `the lab's wait saw every member Synced at ${fmt(s.observedSynced)} s (seedToSyncedSeconds)` : "when the lab's wait saw them Synced: not known"}${s.serviceCreated ? `; swarm recorded the service ${fmt(s.serviceCreated)} s after the command was issued` : ""}`,
    `- joins (decision → Synced): ${verdicts(s.joins, s.runs)}; group joins (Start replication → Primary): ${verdicts(s.groupJoins, s.runs)}; state transfers: ${verdicts(s.transfers, s.runs)}`,
    ...bd.runs.map((b, i) => `- ${runLine(b, i)}`),
  ];
  return lines.join("\n");
}
