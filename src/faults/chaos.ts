/**
 * A seeded random fault schedule, run for real (Jepsen's generator + nemesis): the generator
 * (./generator.ts, pure) draws the schedule from the seed; this runs it with the write workload on,
 * heals every fault at its time (and all of them on failure or interrupt), waits for the cluster to
 * be whole again and judges the history. The same seed gives the same schedule.
 */
import { replicasOf, type ActiveFault, type RunContext } from "../context/run-context.js";
import { chaosSchedule, describeSchedule, resolveChaosOptions, validateChaosOptions, CHAOS_FAULT_KINDS, type ChaosEntry, type ChaosFaultKind, type ChaosOptions } from "./generator.js";
import { applyFault, healActive, healFaults } from "./nemesis.js";
import { faultSchema, faultKindOf } from "../scenarios/schema.js";
import { problemsOf } from "../util/problems.js";
import { waitGaleraSynced } from "../checks/conditions.js";
import { checkHistory } from "../checks/history.js";
import { sleep } from "../util/wait.js";
import { LabError } from "../util/errors.js";
import type { WriteOp } from "./history.js";
import { startWorkload } from "./workload.js";
import { serviceTasks } from "../checks/galera.js";

/**
 * The generator keeps a majority of the hosts healthy, but swarm may have moved two Galera members
 * onto one host after an earlier fault: taking that host out would then take a majority of the
 * members. Pure: which members the fault would leave, given where the running tasks are.
 */
export function wouldLoseMemberMajority(taskHosts: string[], downHosts: string[], replicas: number): string | undefined {
  const down = new Set(downHosts);
  const lost = taskHosts.filter((h) => down.has(h)).length;
  const left = taskHosts.length - lost;
  const majority = Math.floor(replicas / 2) + 1;
  if (lost === 0 || left >= majority) return undefined;
  const perHost = [...down].map((h) => `${h} runs ${taskHosts.filter((t) => t === h).length}`).join(", ");
  return `it would leave ${left} of ${replicas} Galera members running (${perHost}; swarm moved tasks after an earlier fault), fewer than a majority`;
}

/** Kinds drawn when none are named: every kind that works on the seed's deployment (disk needs a tmpfs datadir). */
export const DEFAULT_CHAOS_FAULTS: ChaosFaultKind[] = CHAOS_FAULT_KINDS.filter((k) => k !== "disk");

export interface ChaosRecord {
  index: number;
  kind: string;
  target: string;
  fault: string;
  plannedStartSeconds: number;
  plannedHealSeconds: number;
  startedAtSeconds?: number;
  healedAtSeconds?: number;
  error?: string;
  /** Not applied, and why: a fault aimed at a task when its host runs none (swarm moved it after an earlier fault). */
  skipped?: string;
}

export interface ChaosResult {
  seed: number;
  options: ReturnType<typeof resolveChaosOptions>;
  schedule: ChaosRecord[];
  faultsInjected: number;
  writes: { ok: number; failed: number; unknown: number };
  /** The longest time no write was acknowledged by any member. */
  longestUnavailableSeconds: number;
  syncedAfterSeconds?: number;
}

/** "10m", "90s", "1h", or seconds as a number. */
export function parseDuration(v: string | number): number {
  if (typeof v === "number") return v;
  const m = v.trim().match(/^(\d+(?:\.\d+)?)\s*(s|m|h)?$/);
  if (!m) throw new LabError(`duration "${v}" is not a duration (e.g. 90s, 10m, 1h)`);
  return Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
}

/** The longest gap between acknowledged writes, from the first write to the last. */
export function longestUnavailable(history: WriteOp[]): number {
  const oks = history.filter((w) => w.outcome === "ok").map((w) => w.at).sort((a, b) => a - b);
  const all = history.map((w) => w.at);
  if (!all.length) return 0;
  const start = Math.min(...all);
  const end = Math.max(...all);
  let prev = start;
  let longest = 0;
  for (const t of [...oks, end]) {
    longest = Math.max(longest, t - prev);
    prev = Math.max(prev, t);
  }
  return longest / 1000;
}

/** Validates the options and every drawn fault against its kind's schema before anything starts. */
export function planChaos(o: ChaosOptions): { schedule: ChaosEntry[]; problems: string[] } {
  const problems = validateChaosOptions(o, o.hosts);
  if (problems.length) return { schedule: [], problems };
  const schedule = chaosSchedule(o);
  for (const e of schedule) {
    const kind = faultKindOf(e.kind);
    if (!kind) {
      problems.push(`entry ${e.index}: "${e.kind}" is no fault kind of this lab`);
      continue;
    }
    const r = faultSchema(kind).safeParse(e.spec);
    if (!r.success) problems.push(...problemsOf(r.error, e.spec).map((p) => `entry ${e.index} (${e.kind}): ${p.path.join(".")}: ${p.message}`));
    else for (const p of kind.check?.(r.data as never) ?? []) problems.push(`entry ${e.index} (${e.kind}): ${p.field}: ${p.message}`);
  }
  return { schedule, problems };
}

export async function runChaos(ctx: RunContext, o: ChaosOptions, opts: { syncedTimeoutSeconds?: number; members?: number } = {}): Promise<ChaosResult> {
  const { schedule, problems } = planChaos(o);
  if (problems.length) throw new LabError(`chaos schedule refused:\n  ${problems.join("\n  ")}`);
  ctx.progress.note(`chaos seed ${o.seed}: ${schedule.length} faults in ${o.durationSeconds} s\n${describeSchedule(schedule).split("\n").map((l) => `      ${l}`).join("\n")}`);
  ctx.timeline.push({ at: new Date().toISOString(), what: `chaos seed ${o.seed}: ${schedule.length} faults`, data: schedule });
  const records: ChaosRecord[] = schedule.map((e) => ({ index: e.index, kind: e.kind, target: e.target, fault: JSON.stringify(e.spec), plannedStartSeconds: e.startSeconds, plannedHealSeconds: e.healSeconds }));
  const events = schedule
    .flatMap((e) => [
      { at: e.startSeconds, order: 1, entry: e, what: "start" as const },
      { at: e.healSeconds, order: 0, entry: e, what: "heal" as const },
    ])
    .sort((a, b) => a.at - b.at || a.order - b.order || a.entry.index - b.entry.index);
  // The workload runs from the first fault to the history check, also between faults.
  ctx.faults.keepWorkload = true;
  if (!ctx.faults.workload) ctx.faults.workload = await startWorkload(ctx, { maxSeconds: o.durationSeconds + (opts.syncedTimeoutSeconds ?? 300) + 120 });
  const t0 = Date.now();
  const active = new Map<number, ActiveFault>();
  let injected = 0;
  /** The figures so far: report.json keeps them when the schedule stops on an error or an interrupt. */
  const soFar = (syncedAfterSeconds?: number): ChaosResult => {
    const history = ctx.faults.workload?.history ?? [];
    const counts = { ok: 0, failed: 0, unknown: 0 };
    for (const w of history) counts[w.outcome] += 1;
    return { seed: o.seed, options: resolveChaosOptions(o), schedule: records, faultsInjected: injected, writes: counts, longestUnavailableSeconds: longestUnavailable(history), syncedAfterSeconds };
  };
  try {
    for (const ev of events) {
      const wait = t0 + ev.at * 1000 - Date.now();
      if (wait > 0) await sleep(wait, ctx.signal);
      const rec = records[ev.entry.index - 1]!;
      if (ev.what === "start") {
        const before = ctx.faults.active.length;
        if (!o.allowMajorityLoss && ev.entry.down.length) {
          const downNow = [...active.keys()].flatMap((i) => schedule[i - 1]?.down ?? []);
          const taskHosts = (await serviceTasks(ctx.lab).catch(() => [])).filter((t) => t.state === "running").map((t) => t.nodeHostname.split(".")[0]!);
          const why = wouldLoseMemberMajority(taskHosts, [...downNow, ...ev.entry.down], replicasOf(ctx));
          if (why) {
            rec.skipped = why;
            ctx.progress.note(`chaos: #${ev.entry.index} skipped (${why})`);
            continue;
          }
        }
        try {
          await applyFault(ctx, ev.entry.spec as never, false);
          injected += 1;
          rec.startedAtSeconds = (Date.now() - t0) / 1000;
          const added = ctx.faults.active.slice(before);
          if (added[0]) active.set(ev.entry.index, added[0]);
          ctx.progress.note(`chaos ${rec.startedAtSeconds.toFixed(0)} s: #${ev.entry.index} ${rec.fault}`);
        } catch (err) {
          // A fault aimed at a task finds none on its host when an earlier fault moved the task
          // away (swarm does not move it back): recorded and skipped, the schedule goes on.
          if (/no running task of service/.test((err as Error).message)) {
            rec.skipped = (err as Error).message.split(":")[0];
            ctx.progress.note(`chaos: #${ev.entry.index} skipped (${rec.skipped})`);
            continue;
          }
          rec.error = (err as Error).message.split("\n")[0];
          throw new LabError(`chaos entry ${ev.entry.index} (${rec.fault}) could not be applied: ${(err as Error).message}`, { cause: err });
        }
      } else {
        const f = active.get(ev.entry.index);
        if (f) {
          await healActive(ctx, [f], `chaos #${ev.entry.index}`);
          active.delete(ev.entry.index);
        }
        rec.healedAtSeconds = (Date.now() - t0) / 1000;
      }
    }
  } finally {
    // Always healed: on failure or interrupt too (heal itself is never aborted).
    if (active.size) await healActive(ctx, [...active.values()], "chaos teardown").catch(() => healFaults(ctx).catch(() => {}));
    ctx.faults.keepWorkload = false;
    ctx.chaos = soFar() as unknown as Record<string, unknown>;
  }
  const members = opts.members ?? replicasOf(ctx);
  await waitGaleraSynced(ctx, members, (opts.syncedTimeoutSeconds ?? 300) * 1000);
  // From the last heal (the end of the schedule as run) to every member Synced.
  const lastHeal = Math.max(0, ...records.map((r) => r.healedAtSeconds ?? r.startedAtSeconds ?? 0));
  const syncedAfterSeconds = (Date.now() - t0) / 1000 - lastHeal;
  const result = soFar(syncedAfterSeconds);
  const { writes: counts, longestUnavailableSeconds: longest } = result;
  ctx.chaos = result as unknown as Record<string, unknown>;
  if (ctx.faults.workload) await checkHistory(ctx);
  ctx.timeline.push({ at: new Date().toISOString(), what: "chaos done", data: { faultsInjected: injected, writes: counts, longestUnavailableSeconds: longest } });
  return result;
}
