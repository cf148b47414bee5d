/** Applies faults to the real hosts (container stop/kill/pause, iptables inside a host) and heals them. */
import type { RunContext } from "../scenarios/context.js";
import type { z } from "zod";
import type { faultSpec } from "../scenarios/schema.js";
import { isolateRules, portRules, splitRules, type Rule } from "./grudge.js";
import { waitForInnerEngine } from "../hosts/provider.js";
import { nodeList } from "../steps/swarm.js";
import { reachableManager, serviceTasks } from "../checks/galera.js";
import { galeraView, describeView, swarmNodeStates, type MemberView } from "../checks/conditions.js";
import { startWorkload, type Workload } from "./workload.js";
import { noteFault, noteHeal, noteVisible, type RecoveryRecord } from "./recovery.js";
import { waitFor } from "../util/wait.js";
import { LabError } from "../util/errors.js";

export type FaultSpec = z.infer<typeof faultSpec>;

export interface ActiveFault {
  spec: FaultSpec;
  rules: Rule[];
  stopped: string[];
  paused: string[];
  /** The hosts it touches (its target, the hosts of its rules): what `heal: <host>` selects by. */
  hosts: string[];
  record: RecoveryRecord;
}

export interface FaultBook {
  active: ActiveFault[];
  workload?: Workload;
}

/** The walkthrough's etcd is a plain container on docker1 (no restart policy): bring it back with its host. */
async function startPlainContainers(ctx: RunContext, host: string): Promise<void> {
  await ctx.lab.host(host).sh("docker ps -aq --filter name=^etcd$ | xargs -r docker start", { allowFailure: true });
}

export function describeFault(spec: FaultSpec, target?: string): string {
  switch (spec.kind) {
    case "ports":
      return `ports ${spec.host} ${spec.ports.join(",")} (${spec.direction})`;
    case "isolate":
      return `isolate ${spec.host} (${spec.direction})`;
    case "split":
      return `split ${spec.groups.map((g) => g.join("+")).join(" | ")} (${spec.direction})`;
    default: {
      const what = `${spec.kind} ${target ?? ""}`.trim();
      return "grace" in spec && spec.grace ? `${what} (clean, grace ${spec.grace} s)` : what;
    }
  }
}

/** What swarm itself shows: node states and where the service's tasks are. */
export async function swarmView(ctx: RunContext): Promise<{ nodes: string; tasks: string[] }> {
  const nodes = await swarmNodeStates(ctx);
  const tasks = await serviceTasks(ctx.lab)
    .then((ts) => ts.map((t) => `${t.slot}@${t.nodeHostname.split(".")[0]}:${t.state}`))
    .catch((e: Error) => [`no task list (${e.message.split("\n")[0]})`]);
  return { nodes, tasks };
}

async function iptables(ctx: RunContext, op: "-A" | "-D", rule: Rule): Promise<void> {
  const argv = ["iptables", "-w", "5", op === "-A" ? "-I" : "-D", ...rule.spec];
  // -I puts the DROP before docker's own ACCEPT rules
  await ctx.lab.host(rule.host).exec(argv, { timeoutMs: 15_000 });
}

async function leaderHost(ctx: RunContext): Promise<string> {
  const rows = await nodeList(await reachableManager(ctx.lab));
  const leader = rows.find((r) => r.managerStatus === "Leader");
  const host = ctx.lab.nodes.find((h) => h.hostname === leader?.hostname);
  if (!host) throw new LabError(`no Leader found in: ${rows.map((r) => `${r.hostname}:${r.managerStatus}`).join(" ")}`);
  return host.name;
}

export async function applyFault(ctx: RunContext, spec: FaultSpec, workload: boolean): Promise<Record<string, unknown>> {
  const book = ctx.faults;
  const tasks = await serviceTasks(ctx.lab).catch(() => []);
  ctx.tasksAtFault = new Set(tasks.map((t) => t.id));
  const startedAt = Date.now();
  if (workload && !book.workload) book.workload = await startWorkload(ctx);
  const container = (name: string) => ctx.lab.docker.getContainer(ctx.lab.host(name).container);
  let target = "host" in spec ? spec.host : undefined;
  const fault: Omit<ActiveFault, "hosts" | "record"> = { spec, rules: [], stopped: [], paused: [] };
  switch (spec.kind) {
    case "stop-leader":
      target = await leaderHost(ctx);
      ctx.formerLeader = target;
      await container(target).stop({ t: spec.grace ?? 0 });
      fault.stopped.push(target);
      break;
    case "stop":
      await container(spec.host).stop({ t: spec.grace ?? 0 });
      fault.stopped.push(spec.host);
      break;
    case "kill":
      await container(spec.host).kill({ signal: "SIGKILL" });
      fault.stopped.push(spec.host);
      break;
    case "pause":
      await container(spec.host).pause();
      fault.paused.push(spec.host);
      break;
    case "restart":
      await container(spec.host).restart({ t: 0 });
      await waitForInnerEngine(ctx.lab.host(spec.host));
      await startPlainContainers(ctx, spec.host);
      break;
    case "ports":
      fault.rules = portRules(spec.host, spec.ports, spec.direction);
      break;
    case "isolate": {
      const others = ctx.lab.nodes.filter((h) => h.name !== spec.host).map((h) => h.address);
      fault.rules = isolateRules(spec.host, others, spec.direction);
      break;
    }
    case "split":
      fault.rules = splitRules(spec.groups, (h) => ctx.lab.host(h).address, spec.direction);
      break;
  }
  for (const r of fault.rules) await iptables(ctx, "-A", r);
  const what = describeFault(spec, target);
  const record = noteFault(ctx.recoveries, what, startedAt);
  const hosts = [...new Set([...(target ? [target] : []), ...("groups" in spec ? spec.groups.flat() : []), ...fault.rules.map((r) => r.host)])];
  // A restart is over by the time it returns: nothing is left to heal.
  if (spec.kind !== "restart") book.active.push({ ...fault, hosts, record });
  ctx.timeline.push({ at: new Date().toISOString(), what: `fault ${what}`, data: { rules: fault.rules.length } });
  return { target, rules: fault.rules.map((r) => `${r.host}: iptables -I ${r.spec.join(" ")}`), swarm: await swarmView(ctx) };
}

/** The faults a symptom can belong to: every active one, or those that touch `host`. */
export function activeCauses(ctx: RunContext, host?: string): RecoveryRecord[] {
  return ctx.faults.active.filter((f) => !host || f.hosts.includes(host)).map((f) => f.record);
}

/** The active faults `heal` selects: all of them, or those that touch one host. */
export function faultsToHeal(active: ActiveFault[], which: "all" | string): ActiveFault[] {
  if (which === "all") return [...active];
  const chosen = active.filter((f) => f.hosts.includes(which));
  if (!chosen.length) {
    const now = active.map((f) => `${f.record.fault} (${f.hosts.join(", ")})`).join("; ") || "none";
    throw new LabError(`heal ${which}: no active fault touches ${which}; active faults: ${now}`);
  }
  return chosen;
}

/**
 * Heals the active faults `which` selects (default all), newest first: deletes exactly the rules
 * added, unpauses, starts stopped hosts. The write workload stops when no fault is left.
 */
export async function healFaults(ctx: RunContext, which: "all" | string = "all"): Promise<Record<string, unknown>> {
  const book = ctx.faults;
  const done: string[] = [];
  const errors: string[] = [];
  const chosen = faultsToHeal(book.active, which);
  const healedRecords = chosen.map((f) => f.record);
  book.active = book.active.filter((f) => !chosen.includes(f));
  const stopped: string[] = [];
  while (chosen.length) {
    const f = chosen.pop()!;
    stopped.push(...f.stopped);
    for (const r of [...f.rules].reverse()) {
      try {
        await iptables(ctx, "-D", r);
        done.push(`${r.host}: iptables -D ${r.spec.join(" ")}`);
      } catch (e) {
        errors.push((e as Error).message.split("\n")[0]!);
      }
    }
    for (const h of f.paused) {
      await ctx.lab.docker.getContainer(ctx.lab.host(h).container).unpause().catch((e: Error) => errors.push(e.message));
      done.push(`unpaused ${h}`);
    }
  }
  // Stopped hosts come back together: one back long before the others would give raft its
  // majority early, and swarm would move the others' tasks onto it.
  await Promise.all(
    stopped.map(async (h) => {
      try {
        await ctx.lab.docker.getContainer(ctx.lab.host(h).container).start();
        await waitForInnerEngine(ctx.lab.host(h));
        await startPlainContainers(ctx, h);
        done.push(`started ${h}`);
      } catch (e) {
        errors.push(`${h}: ${(e as Error).message.split("\n")[0]!}`);
      }
    }),
  );
  noteHeal(ctx.recoveries, Date.now(), healedRecords);
  ctx.timeline.push({ at: new Date().toISOString(), what: which === "all" ? "heal" : `heal ${which}`, data: done });
  if (book.workload && !book.active.length) {
    await book.workload.stop();
  }
  if (errors.length) throw new LabError(`heal left work undone: ${errors.join("; ")}`);
  return { healed: done };
}

/** Waits until swarm shows the host Down; records how long that took from the fault. */
export async function waitHostDown(ctx: RunContext, host: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const hostname = ctx.lab.host(host).hostname;
  const rows = await waitFor(
    `swarm to mark ${host} Down`,
    async () => nodeList(await reachableManager(ctx.lab)),
    (rows) => rows.some((r) => r.hostname === hostname && r.status === "Down"),
    { timeoutMs },
    (rows) => rows.map((r) => `${r.hostname}:${r.status}`).join(" "),
  );
  const seconds = noteVisible(ctx.recoveries, `swarm: ${host} Down`, Date.now(), activeCauses(ctx, host));
  ctx.timeline.push({ at: new Date().toISOString(), what: `swarm shows ${host} Down`, data: rows });
  return { faultVisibleSeconds: seconds, nodes: rows };
}

/**
 * Waits for the partition to show in Galera: `members` Primary members of that size, and every
 * other running member non-Primary or unreachable.
 */
export async function waitDegraded(ctx: RunContext, step: { members?: number }, timeoutMs: number): Promise<Record<string, unknown>> {
  const n = step.members ?? 2;
  const view = await waitFor(
    n === 0 ? "every running Galera member to be non-Primary" : `Galera to split: ${n} members Primary with size ${n}, the rest non-Primary`,
    () => galeraView(ctx),
    (v) => {
      const primary = v.filter((m) => m.status === "Primary" && m.size === n);
      const answeringOthers = v.filter((m) => m.status && m.status !== "Primary");
      // With no Primary expected, at least one member must say so itself.
      return primary.length === n && v.length > n && v.every((m) => (m.status === "Primary" ? m.size === n : true)) && (n > 0 || answeringOthers.length > 0);
    },
    { timeoutMs, intervalMs: 1000 },
    describeView,
  );
  const seconds = noteVisible(ctx.recoveries, n === 0 ? "Galera: no Primary component" : `Galera: ${n} Primary, the rest not`, Date.now(), activeCauses(ctx));
  const swarm = await swarmView(ctx);
  ctx.timeline.push({ at: new Date().toISOString(), what: "galera degraded", data: { view, swarm } });
  return { faultVisibleSeconds: seconds, members: view, swarm };
}

/** Waits for a Leader other than the one a stop-leader fault took away. */
export async function waitNewLeader(ctx: RunContext, timeoutMs: number): Promise<Record<string, unknown>> {
  const former = ctx.formerLeader ? ctx.lab.host(ctx.formerLeader).hostname : undefined;
  const rows = await waitFor(
    `a new swarm Leader${former ? ` other than ${former}` : ""}`,
    async () => nodeList(await reachableManager(ctx.lab)),
    (rows) => rows.some((r) => r.managerStatus === "Leader" && r.hostname !== former),
    { timeoutMs, intervalMs: 1000 },
    (rows) => rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "-"}`).join(" "),
  );
  const leader = rows.find((r) => r.managerStatus === "Leader")!.hostname;
  const seconds = noteVisible(ctx.recoveries, `swarm: new Leader ${leader.split(".")[0]}`, Date.now(), activeCauses(ctx));
  ctx.timeline.push({ at: new Date().toISOString(), what: `swarm elects ${leader}`, data: rows });
  return { faultVisibleSeconds: seconds, leader, formerLeader: former, nodes: rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "-"}`) };
}

/** Every manager Ready and reachable, one Leader, and the former leader (if any) back as a follower. */
export async function checkSwarmRoles(ctx: RunContext): Promise<Record<string, unknown>> {
  const rows = await nodeList(await reachableManager(ctx.lab));
  const problems: string[] = [];
  const leaders = rows.filter((r) => r.managerStatus === "Leader");
  if (leaders.length !== 1) problems.push(`${leaders.length} Leaders`);
  for (const r of rows) {
    if (r.status !== "Ready") problems.push(`${r.hostname} is ${r.status}`);
    if (!["Leader", "Reachable"].includes(r.managerStatus)) problems.push(`${r.hostname} manager status "${r.managerStatus}"`);
  }
  const former = ctx.formerLeader ? ctx.lab.host(ctx.formerLeader).hostname : undefined;
  if (former && leaders[0]?.hostname === former) problems.push(`${former} is Leader again: expected it back as a follower`);
  const nodes = rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "-"}`);
  if (problems.length) throw new LabError(`swarm roles are not as expected: ${problems.join("; ")} (${nodes.join(" ")})`);
  return { leader: leaders[0]?.hostname, formerLeader: former, nodes };
}
