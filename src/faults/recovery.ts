/**
 * Recovery figures, one record per fault: when it began, when the lab showed it, when it was
 * healed and when Galera had all its members Synced again. Pure bookkeeping over timestamps.
 */

export interface RecoveryRecord {
  /** e.g. "stop docker2", "ports docker3 7946/tcp,7946/udp" */
  fault: string;
  /** The service a fault aimed at its tasks (dns, process, clock...); only that service's Synced counts for it. */
  service?: string;
  startedAt: number;
  /** What first showed the fault (swarm node Down, Galera split, new leader...). */
  visibleBy?: string;
  visibleSeconds?: number;
  healedAt?: number;
  /** From the fault to all members Synced, while the fault was still active (rescheduling). */
  syncedAfterFaultSeconds?: number;
  /** From the heal to all members Synced. */
  syncedAfterHealSeconds?: number;
}

export function noteFault(records: RecoveryRecord[], fault: string, at: number, service?: string): RecoveryRecord {
  const r: RecoveryRecord = { fault, startedAt: at, ...(service ? { service } : {}) };
  records.push(r);
  return r;
}

/**
 * A symptom seen now. It belongs to every fault in `causes` not yet visible (overlapping faults
 * show together: two hosts killed, one "no leader"); with no causes given, to the newest fault not
 * yet visible. Returns the seconds from the newest of them.
 */
export function noteVisible(records: RecoveryRecord[], by: string, at: number, causes?: RecoveryRecord[]): number | undefined {
  const unseen = (x: RecoveryRecord) => x.visibleSeconds === undefined && x.healedAt === undefined;
  const chosen = causes?.length ? causes.filter(unseen) : [...records].reverse().filter(unseen).slice(0, 1);
  for (const r of chosen) {
    r.visibleBy = by;
    r.visibleSeconds = round((at - r.startedAt) / 1000);
  }
  // The newest fault has the shortest time to its symptom.
  return chosen.length ? Math.min(...chosen.map((r) => r.visibleSeconds!)) : undefined;
}

/** The faults healed now (default: every one not yet healed). */
export function noteHeal(records: RecoveryRecord[], at: number, healed: RecoveryRecord[] = records): void {
  for (const r of healed) if (r.healedAt === undefined) r.healedAt = at;
}

/**
 * All members of `service` Synced at `at`: the first such moment after a fault, and after its heal,
 * is kept. A fault aimed at another service's tasks is not credited (a scenario with two services).
 */
export function noteSynced(records: RecoveryRecord[], at: number, service?: string): void {
  for (const r of records) {
    if (r.service && service && r.service !== service) continue;
    if (r.healedAt === undefined) {
      r.syncedAfterFaultSeconds ??= round((at - r.startedAt) / 1000);
    } else if (r.syncedAfterHealSeconds === undefined && at >= r.healedAt) {
      r.syncedAfterHealSeconds = round((at - r.healedAt) / 1000);
    }
  }
}

const round = (s: number) => Math.round(s * 10) / 10;

/** One table row per fault, for the Markdown summary. */
export function recoveryRows(records: RecoveryRecord[]): string[] {
  const s = (v?: number) => (v === undefined ? "–" : `${v.toFixed(1)} s`);
  return [
    "| fault | visible after | shown by | Synced after fault | Synced after heal |",
    "| --- | --- | --- | --- | --- |",
    ...records.map((r) => `| ${r.fault} | ${s(r.visibleSeconds)} | ${r.visibleBy ?? "–"} | ${s(r.syncedAfterFaultSeconds)} | ${s(r.syncedAfterHealSeconds)} |`),
  ];
}

/** The members of a sample, all Primary, Synced, in one component of `n` (the sampler's "Primary Synced 3"). */
export function sampleSynced(members: Record<string, string>, n: number): boolean {
  const states = Object.values(members);
  return states.length === n && states.every((s) => s === `Primary Synced ${n}`);
}

/**
 * A chaos run's faults overlap and nothing waits for Synced between them, so noteSynced is called
 * once, at the end: every record would be credited with that one moment. The sampler's pictures
 * (every few seconds) say better: after a heal, the first picture with every member Synced; while a
 * fault is active, the first Synced picture that follows one that was not (the fault showed, and
 * the cluster got over it before the heal). A fault the cluster never noticed has no "after fault".
 */
export function syncedFromSamples(records: RecoveryRecord[], samples: readonly { at: number; members: Record<string, string> }[], n: number): void {
  const ordered = [...samples].sort((a, b) => a.at - b.at);
  for (const r of records) {
    delete r.syncedAfterFaultSeconds;
    delete r.syncedAfterHealSeconds;
    const end = r.healedAt ?? Infinity;
    let disturbed = false;
    for (const s of ordered) {
      if (s.at < r.startedAt || s.at >= end) continue;
      const ok = sampleSynced(s.members, n);
      if (!ok) disturbed = true;
      else if (disturbed) {
        r.syncedAfterFaultSeconds = round((s.at - r.startedAt) / 1000);
        break;
      }
    }
    if (r.healedAt !== undefined) {
      const after = ordered.find((s) => s.at >= r.healedAt! && sampleSynced(s.members, n));
      if (after) r.syncedAfterHealSeconds = round((after.at - r.healedAt) / 1000);
    }
  }
}
