/** Named waits and checks a scenario refers to. Each asks the real swarm or the real cluster. */
import { replicasOf, type RunContext } from "../context/run-context.js";
import { galeraMembers, memberLabel, overlayAddress, reachableManager, serviceTasks, wsrepOf, connect, hangUp, GALERA_SERVICE, type GaleraMember, type TaskInfo } from "./galera.js";
import { serviceCredentials } from "./credentials.js";
import { clusterAddressProblems, liveWhenCreated } from "./cluster-address.js";
import { nodeList, waitSwarmReady } from "../steps/swarm.js";
import { POLL_MS, waitFor, withinSeconds } from "../util/wait.js";
import { LabError } from "../util/errors.js";
import { discoveryDecisions } from "./task-log.js";

export interface MemberView {
  member: string;
  address: string;
  size?: number;
  status?: string;
  state?: string;
  ready?: string;
  uuid?: string;
  clusterAddress?: string;
  error?: string;
}

export async function galeraView(ctx: RunContext, service = GALERA_SERVICE): Promise<MemberView[]> {
  const members = await galeraMembers(ctx.lab, service);
  const creds = await serviceCredentials(ctx, service);
  return Promise.all(
    members.map(async (m): Promise<MemberView> => {
      const base = { member: memberLabel(m), address: overlayAddress(m) ?? "" };
      try {
        const { status, clusterAddress } = await wsrepOf(m, creds);
        return {
          ...base,
          size: Number(status.wsrep_cluster_size),
          status: status.wsrep_cluster_status,
          state: status.wsrep_local_state_comment,
          ready: status.wsrep_ready,
          uuid: status.wsrep_cluster_state_uuid,
          clusterAddress,
        };
      } catch (err) {
        return { ...base, error: (err as Error).message.split("\n")[0] };
      }
    }),
  );
}

export const describeView = (v: MemberView[]) =>
  v.map((m) => `${m.member}:${m.error ? `error(${m.error})` : `${m.status}/${m.state}/size ${m.size}`}`).join(" ") || "no running task";

export function healthy(v: MemberView[], n: number): boolean {
  return (
    v.length === n &&
    v.every((m) => m.size === n && m.status === "Primary" && m.state === "Synced" && m.ready === "ON") &&
    new Set(v.map((m) => m.uuid)).size === 1
  );
}

export async function waitGaleraSynced(ctx: RunContext, n: number, timeoutMs: number, service?: string): Promise<MemberView[]> {
  return waitFor(`${n} Galera members Synced in one Primary component of size ${n}`, () => galeraView(ctx, service), (v) => healthy(v, n), { timeoutMs, intervalMs: POLL_MS, signal: ctx.signal }, describeView);
}

export async function waitServiceRunning(ctx: RunContext, n: number, timeoutMs: number, service = GALERA_SERVICE) {
  return waitFor(
    `${n} running tasks of ${service}`,
    async () => (await serviceTasks(ctx.lab, service)).filter((t) => t.state === "running"),
    (t) => t.length === n,
    { timeoutMs, intervalMs: POLL_MS, signal: ctx.signal },
    (t) => `${t.length} running`,
  );
}

export async function waitSwarm(ctx: RunContext, n: number, timeoutMs: number) {
  // The whole lab: as many managers as it was made with (workers have no manager status).
  const managers = n === ctx.lab.nodes.length ? (ctx.lab.hosts.managers ?? n) : n;
  return waitSwarmReady(await reachableManager(ctx.lab), n, timeoutMs, ctx.signal, managers);
}

/** `docker service ls` replicas: "3/3", or "3/3 (max 1 per node)" with --replicas-max-per-node. */
export function replicasComplete(replicas: string, n: number): boolean {
  return new RegExp(`^${n}/${n}( \\(max \\d+ per node\\))?$`).test(replicas.trim());
}

/** n running tasks on n different hosts (on every host when n is more: --allow-colocated), and `docker service ls` says n/n. */
export async function checkServiceSpread(ctx: RunContext, n: number, service = GALERA_SERVICE): Promise<Record<string, unknown>> {
  const tasks = (await serviceTasks(ctx.lab, service)).filter((t) => t.state === "running");
  const hosts = new Set(tasks.map((t) => t.nodeHostname));
  const spread = Math.min(n, ctx.lab.nodes.length);
  if (tasks.length !== n || hosts.size !== spread) {
    throw new LabError(`expected ${n} running tasks on ${spread} different hosts, found ${tasks.length} on ${[...hosts].join(", ") || "none"}`);
  }
  const manager = await reachableManager(ctx.lab);
  // The name filter matches by prefix (mysql-galera also finds mysql-galera-2): keep the exact name.
  const ls = await manager.docker(["service", "ls", "--filter", `name=${service}`, "--format", "{{.Name}}\t{{.Replicas}}"]);
  const replicas = ls.stdout.split("\n").map((l) => l.split("\t")).find(([name]) => name === service)?.[1]?.trim() ?? "";
  if (!replicasComplete(replicas, n)) throw new LabError(`docker service ls shows ${replicas || "no such service"} replicas for ${service}, expected ${n}/${n}`);
  return { tasks: tasks.map((t) => `${t.slot}@${t.nodeHostname}`), replicas };
}

export async function checkGaleraHealth(ctx: RunContext, n: number, service?: string): Promise<Record<string, unknown>> {
  const view = await galeraView(ctx, service);
  const problems: string[] = [];
  if (view.length !== n) problems.push(`${view.length} running members, expected ${n}`);
  for (const m of view) {
    if (m.error) problems.push(`${m.member}: ${m.error}`);
    else {
      if (m.size !== n) problems.push(`${m.member}: wsrep_cluster_size ${m.size}`);
      if (m.status !== "Primary") problems.push(`${m.member}: wsrep_cluster_status ${m.status}`);
      if (m.state !== "Synced") problems.push(`${m.member}: wsrep_local_state_comment ${m.state}`);
      if (m.ready !== "ON") problems.push(`${m.member}: wsrep_ready ${m.ready}`);
    }
  }
  const uuids = new Set(view.filter((m) => m.uuid).map((m) => m.uuid));
  if (uuids.size > 1) problems.push(`members disagree on wsrep_cluster_state_uuid: ${[...uuids].join(", ")}`);
  if (problems.length) throw new LabError(`Galera is not healthy: ${problems.join("; ")}`);
  return { members: view };
}

/** The subnets of ingress and every host's docker_gwbridge: no peer address may be there. */
async function foreignSubnets(ctx: RunContext): Promise<Array<{ name: string; cidr: string }>> {
  const out: Array<{ name: string; cidr: string }> = [];
  for (const h of await ctx.lab.liveNodes()) {
    for (const net of ["ingress", "docker_gwbridge"]) {
      try {
        const info = (await h.api.getNetwork(net).inspect()) as { IPAM?: { Config?: Array<{ Subnet?: string }> } };
        for (const c of info.IPAM?.Config ?? []) if (c.Subnet && !out.some((o) => o.cidr === c.Subnet)) out.push({ name: net, cidr: c.Subnet });
      } catch {
        /* host down or network absent */
      }
    }
  }
  return out;
}

/**
 * Every member's wsrep_cluster_address: current mynet task addresses, no duplicates, no ingress or
 * gwbridge address, not only itself. With onlyNewMembers, members that were already running when
 * the last fault began are reported but not judged: Galera reads the address only when it (re)connects.
 */
const NOT_CURRENT = " is not the address of a current task";

export async function checkClusterAddresses(ctx: RunContext, onlyNewMembers = false, service = GALERA_SERVICE): Promise<Record<string, unknown>> {
  const members: GaleraMember[] = await galeraMembers(ctx.lab, service);
  const creds = await serviceCredentials(ctx, service);
  const currentTasks = members.map((m) => overlayAddress(m)).filter((a): a is string => Boolean(a));
  const foreign = await foreignSubnets(ctx);
  const problems: string[] = [];
  const report: Array<Record<string, unknown>> = [];
  // Every task swarm remembers, for addresses that were live when a member started (bounded; without it, as before).
  let history: TaskInfo[] | undefined;
  for (const m of members) {
    const { clusterAddress } = await wsrepOf(m, creds);
    let p = clusterAddressProblems(clusterAddress, { self: overlayAddress(m) ?? "", currentTasks, foreign });
    const judged = !onlyNewMembers || !ctx.tasksAtFault?.has(m.id);
    const stale: string[] = [];
    if (judged && m.createdAt !== undefined && p.some((x) => x.endsWith(NOT_CURRENT))) {
      history ??= await withinSeconds(serviceTasks(ctx.lab, service, true), 10, []);
      p = p.filter((x) => {
        const keep = !x.endsWith(NOT_CURRENT) || !liveWhenCreated(x.slice(0, -NOT_CURRENT.length), m.createdAt!, history!);
        if (!keep) stale.push(x.slice(0, -NOT_CURRENT.length));
        return keep;
      });
    }
    report.push({ member: memberLabel(m), self: overlayAddress(m), clusterAddress, problems: p, judged, ...(stale.length ? { staleSinceStart: stale } : {}) });
    if (judged) problems.push(...p.map((x) => `${memberLabel(m)} (${clusterAddress}): ${x}`));
  }
  if (problems.length) throw new LabError(`invalid wsrep_cluster_address: ${problems.join("; ")}`);
  return { members: report, currentTasks, foreign };
}

/** A row written through one member is read back from the others. */
export async function checkReplication(ctx: RunContext): Promise<Record<string, unknown>> {
  const members = await galeraMembers(ctx.lab);
  // A one-member cluster (--replicas 1) has nobody to replicate to; otherwise a lone member means one is missing.
  if (members.length === 1 && replicasOf(ctx) === 1) return { writtenVia: memberLabel(members[0]!), readBackOn: [], note: "one member (--replicas 1): nothing to replicate to" };
  if (members.length < 2) throw new LabError(`replication needs two members, found ${members.length}`);
  const [writer, ...readers] = members;
  const marker = `seed-${Date.now()}`;
  const w = await connect(writer!, ctx.password);
  try {
    await w.query("CREATE DATABASE IF NOT EXISTS swarmlab");
    await w.query("CREATE TABLE IF NOT EXISTS swarmlab.replication (id INT AUTO_INCREMENT PRIMARY KEY, marker VARCHAR(64), written_via VARCHAR(64))");
    await w.query("INSERT INTO swarmlab.replication (marker, written_via) VALUES (?, ?)", [marker, memberLabel(writer!)]);
  } finally {
    hangUp(w);
  }
  const seen: Record<string, boolean> = {};
  for (const r of readers) {
    await waitFor(
      `row ${marker} on ${memberLabel(r)}`,
      async () => {
        const c = await connect(r, ctx.password);
        try {
          const [rows] = await c.query("SELECT COUNT(*) AS n FROM swarmlab.replication WHERE marker = ?", [marker]);
          return Number((rows as Array<{ n: number }>)[0]?.n ?? 0);
        } finally {
          hangUp(c);
        }
      },
      (n) => n === 1,
      { timeoutMs: 30_000, intervalMs: 500, signal: ctx.signal },
    );
    seen[memberLabel(r)] = true;
  }
  return { writtenVia: memberLabel(writer!), readBackOn: Object.keys(seen), marker };
}

export async function swarmNodeStates(ctx: RunContext): Promise<string> {
  try {
    const rows = await nodeList(await reachableManager(ctx.lab));
    return rows.map((r) => `${r.hostname.split(".")[0]}:${r.status}${r.managerStatus ? `/${r.managerStatus}` : ""}`).join(" ");
  } catch (err) {
    return `no manager answers (${(err as Error).message.split("\n")[0]})`;
  }
}

/**
 * The cluster addresses a service's tasks were given, as their own discovery logged them, judged
 * like wsrep_cluster_address: "valid" (running tasks only) or "invalid" (some join names an ingress
 * address, a duplicate, a dead task or only itself). Shows the walkthrough's failure next to the fix.
 */
export async function checkDiscovery(ctx: RunContext, service: string, verdict: "valid" | "invalid"): Promise<Record<string, unknown>> {
  const decisions = await discoveryDecisions(ctx, service, verdict === "valid");
  if (!decisions.length) throw new LabError(`no task of ${service} logged a discovery decision`);
  const tasks = await serviceTasks(ctx.lab, service).catch(() => []);
  const currentTasks = tasks.map((t) => overlayAddress(t)).filter((a): a is string => Boolean(a));
  const foreign = await foreignSubnets(ctx);
  const judged = decisions.map((d) => ({
    ...d,
    problems: d.kind === "join" ? clusterAddressProblems(d.clusterAddress, { self: d.own, currentTasks, foreign }) : [],
  }));
  const bad = judged.filter((d) => d.problems.length);
  if (verdict === "valid" && bad.length) {
    throw new LabError(`${service}: invalid cluster addresses: ${bad.map((d) => `${d.clusterAddress} (${d.problems.join("; ")})`).join(" | ")}`);
  }
  if (verdict === "invalid" && !bad.length) {
    throw new LabError(`${service}: expected the walkthrough's kind of invalid cluster address, but every task got a valid one: ${judged.map((d) => d.clusterAddress).join(" ")}`);
  }
  return { service, verdict, decisions: judged, currentTasks, foreign };
}
