/** The write history of a workload and the checker that judges it. Pure: histories are data. */

export type Outcome = "ok" | "failed" | "unknown";

export interface WriteOp {
  id: string; // unique per attempt
  member: string;
  outcome: Outcome;
  at: number;
  error?: string;
}

export interface HistoryVerdict {
  ok: boolean;
  counts: Record<Outcome, number>;
  lost: string[]; // acknowledged but missing somewhere
  duplicated: string[]; // applied more than once
  phantom: string[]; // present but never attempted
  divergent: boolean; // members do not hold the same rows
  problems: string[];
}

/**
 * `rows[member]` is every id read back from that member. An acknowledged write must be on every
 * member; a failed or unknown one may or may not be, but consistently; nothing may appear twice or
 * appear without an attempt.
 */
export function checkWriteHistory(history: WriteOp[], rows: Record<string, string[]>): HistoryVerdict {
  const counts: Record<Outcome, number> = { ok: 0, failed: 0, unknown: 0 };
  for (const op of history) counts[op.outcome] += 1;
  const attempted = new Set(history.map((h) => h.id));
  const members = Object.keys(rows);
  const lost = new Set<string>();
  const duplicated = new Set<string>();
  const phantom = new Set<string>();
  for (const m of members) {
    const ids = rows[m]!;
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) duplicated.add(id);
      seen.add(id);
      if (!attempted.has(id)) phantom.add(id);
    }
    for (const op of history) if (op.outcome === "ok" && !seen.has(op.id)) lost.add(`${op.id} (missing on ${m})`);
  }
  const sets = members.map((m) => [...new Set(rows[m])].sort().join(","));
  const divergent = new Set(sets).size > 1;
  const problems: string[] = [];
  if (members.length === 0) problems.push("no member could be read");
  if (lost.size) problems.push(`${lost.size} acknowledged writes lost: ${[...lost].slice(0, 5).join(", ")}`);
  if (duplicated.size) problems.push(`${duplicated.size} writes applied twice`);
  if (phantom.size) problems.push(`${phantom.size} rows that were never written`);
  if (divergent) problems.push(`members hold different rows (${members.map((m, i) => `${m}: ${rows[m]!.length}`).join(", ")})`);
  return { ok: problems.length === 0, counts, lost: [...lost], duplicated: [...duplicated], phantom: [...phantom], divergent, problems };
}

export interface WriteBucket {
  at: number;
  ok: number;
  failed: number;
  unknown: number;
}

/** Outcomes counted per time bucket, for the timeline. */
export function writeBuckets(history: WriteOp[], bucketMs: number): WriteBucket[] {
  const buckets = new Map<number, WriteBucket>();
  for (const op of history) {
    const at = Math.floor(op.at / bucketMs) * bucketMs;
    const b = buckets.get(at) ?? { at, ok: 0, failed: 0, unknown: 0 };
    b[op.outcome] += 1;
    buckets.set(at, b);
  }
  return [...buckets.values()].sort((a, b) => a.at - b.at);
}
