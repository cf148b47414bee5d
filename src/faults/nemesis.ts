/**
 * The generic nemesis: applies a fault kind (faults/kinds), records exactly what it did (rules,
 * powered-off and frozen hosts, an undo), and heals exactly that. Faults as data, heal exact.
 */
import type { ActiveFault, FaultSpec, RunContext } from "../context/run-context.js";
import type { AnyFaultKind } from "../context/step-kinds.js";
import { iptablesArgv, type Rule } from "./grudge.js";
import { FAULTS } from "./kinds/index.js";
import { runningTaskIds, serviceTasks } from "../checks/galera.js";
import { swarmView } from "../checks/swarm-view.js";
import { startWorkload, type WorkloadOptions } from "./workload.js";
import { noteFault, noteHeal } from "./recovery.js";
import { HealIncompleteError, HealSkips, faultsToHeal } from "./active.js";
import { startHost } from "./power.js";
import { LabError } from "../util/errors.js";
import { withinSeconds } from "../util/wait.js";

export function faultKind(kind: string): AnyFaultKind {
  const k = FAULTS.find((f) => f.name === kind);
  if (!k) throw new LabError(`"${kind}" is not a fault kind (${FAULTS.map((f) => f.name).join(", ")})`);
  return k;
}

export function describeFault(spec: FaultSpec, target?: string): string {
  const k = faultKind(spec.kind);
  return k.describe ? k.describe(spec as never, target) : `${spec.kind} ${target ?? spec.host ?? ""}`.trim();
}

async function iptables(ctx: RunContext, op: "-A" | "-D", rule: Rule): Promise<void> {
  // -I puts the DROP before docker's own ACCEPT rules
  await ctx.lab.host(rule.host).exec(iptablesArgv(rule, op === "-A" ? "add" : "delete"), { timeoutMs: 15_000 });
}

const ruleText = (r: Rule) => `${r.host}${r.note ? ` (${r.note})` : ""}: ${iptablesArgv(r, "add").join(" ")}`;

export async function applyFault(ctx: RunContext, spec: FaultSpec, workload: boolean | WorkloadOptions): Promise<Record<string, unknown>> {
  ctx.signal.throwIfAborted();
  const kind = faultKind(spec.kind);
  const book = ctx.faults;
  // Bounded: with the swarm's leader frozen a task list can wait for an election.
  // Every service's tasks, not only the seed's: a user's stack is judged the same way.
  const tasks = await withinSeconds(runningTaskIds(ctx.lab), 5, []).catch(() => []);
  ctx.tasksAtFault = new Set(tasks);
  const service = (typeof workload === "object" ? workload.service : undefined) ?? book.workload?.service;
  ctx.membersAtFault = (await withinSeconds(serviceTasks(ctx.lab, service), 5, []).catch(() => [])).length || undefined;
  const startedAt = Date.now();
  if (workload && !book.workload) book.workload = await startWorkload(ctx, workload === true ? {} : workload);
  const effect = await kind.apply(ctx, spec as never);
  // On machines over SSH, guards go in last (so on top): heal must always reach the host.
  const guards = ctx.lab.provider.guardRules && effect.rules?.length ? (await Promise.all([...new Set(effect.rules.map((r) => r.host))].map((h) => ctx.lab.provider.guardRules!(h)))).flat() : [];
  const rules = [...(effect.rules ?? []), ...guards];
  const added: Rule[] = [];
  try {
    for (const r of rules) {
      await iptables(ctx, "-A", r);
      added.push(r);
    }
  } catch (err) {
    // Leave nothing half-made: the rules already in place come out again.
    for (const r of added.reverse()) await iptables(ctx, "-D", r).catch(() => {});
    await effect.undo?.().catch(() => []);
    throw err;
  }
  const what = describeFault(spec, effect.target);
  const aimedAt = "service" in spec && typeof spec.service === "string" ? spec.service : undefined;
  const record = noteFault(ctx.recoveries, what, startedAt, aimedAt);
  const hosts = [
    ...new Set([
      ...(effect.target ? [effect.target] : []),
      ...("groups" in spec && Array.isArray(spec.groups) ? (spec.groups as string[][]).flat() : []),
      ...rules.map((r) => r.host),
    ]),
  ];
  if (!effect.instant) {
    const active: ActiveFault = { spec, rules, stopped: effect.stopped ?? [], paused: effect.paused ?? [], undo: effect.undo, hosts, record };
    book.active.push(active);
  }
  ctx.timeline.push({ at: new Date().toISOString(), what: `fault ${what}`, data: { rules: rules.length, route: effect.route } });
  return {
    target: effect.target,
    ...(effect.route ? { route: effect.route } : {}),
    rules: rules.map(ruleText),
    ...effect.details,
    swarm: await withinSeconds(swarmView(ctx), 5, { nodes: "no answer within 5 s (swarm may be electing a leader)", tasks: [] }),
  };
}

/**
 * Heals the active faults `which` selects (default all), newest first: deletes exactly the rules
 * added, runs each fault's undo, thaws, starts stopped hosts. Runs even after an interrupt (it is
 * the cleanup). The write workload stops when no fault is left.
 */
export async function healFaults(ctx: RunContext, which: "all" | string = "all"): Promise<Record<string, unknown>> {
  return healActive(ctx, faultsToHeal(ctx.faults.active, which), which === "all" ? "heal" : `heal ${which}`);
}

/**
 * Heals exactly these active faults (a chaos schedule heals one at a time). A host lost on the way
 * (its SSH gone) is skipped from then on, with a note, so the others are healed and nothing waits
 * on it; the heal then fails naming it (HealIncompleteError, which carries the lost hosts).
 */
export async function healActive(ctx: RunContext, selected: ActiveFault[], label: string): Promise<Record<string, unknown>> {
  const book = ctx.faults;
  const done: string[] = [];
  const errors: string[] = [];
  const skips = new HealSkips();
  /** Runs one piece of heal work on `host`, unless that host is lost; a lost host's work is skipped, not failed. */
  const onHost = async (host: string, what: string, work: () => Promise<void>, problem: (e: Error) => string): Promise<void> => {
    if (skips.isLost(host)) return skips.skip(host, what);
    try {
      await work();
    } catch (e) {
      if (skips.lostBy(e).length) skips.skip(host, what);
      else errors.push(problem(e as Error));
    }
  };
  const chosen = [...selected];
  const healedRecords = chosen.map((f) => f.record);
  book.active = book.active.filter((f) => !chosen.includes(f));
  const stopped: string[] = [];
  while (chosen.length) {
    const f = chosen.pop()!;
    stopped.push(...f.stopped);
    for (const r of [...f.rules].reverse()) {
      const text = ruleText(r).replace(" -I ", " -D ");
      await onHost(r.host, text, async () => {
        await iptables(ctx, "-D", r);
        done.push(text);
      }, (e) => e.message.split("\n")[0]!);
    }
    if (f.undo) {
      try {
        done.push(...(await f.undo()));
      } catch (e) {
        const lost = skips.lostBy(e);
        for (const h of lost) skips.skip(h, `undo of ${f.record.fault}`);
        if (!lost.length) errors.push(`${f.record.fault}: ${(e as Error).message.split("\n")[0]!}`);
      }
    }
    for (const h of f.paused) {
      await onHost(h, `unpause ${h}`, async () => {
        await ctx.lab.power(h, "resume");
        done.push(`unpaused ${h}`);
      }, (e) => `${h}: ${e.message.split("\n")[0]!}`);
    }
  }
  // Stopped hosts come back together: one back long before the others would give raft its
  // majority early, and swarm would move the others' tasks onto it.
  await Promise.all(
    stopped.map((h) =>
      onHost(h, `start ${h}`, async () => {
        await startHost(ctx, h);
        done.push(`started ${h}`);
      }, (e) => `${h}: ${e.message.split("\n")[0]!}`),
    ),
  );
  noteHeal(ctx.recoveries, Date.now(), healedRecords);
  const skipped = skips.any ? { skipped: skips.skipped() } : {};
  ctx.timeline.push({ at: new Date().toISOString(), what: label, data: skips.any ? { healed: done, ...skipped } : done });
  if (book.workload && !book.active.length && !book.keepWorkload) await book.workload.stop();
  if (errors.length || skips.any) throw new HealIncompleteError(done, skips, errors);
  return { healed: done };
}
