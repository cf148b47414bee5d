/** Finding the Galera service's tasks in the swarm and asking each member over a real mysql2 connection. */
import mysql from "mysql2/promise";
import type { Lab } from "../lab.js";
import type { Host } from "../hosts/host.js";
import { LabError } from "../util/errors.js";

export const GALERA_SERVICE = "mysql-galera";

export interface TaskInfo {
  id: string;
  /** The swarm service it belongs to. */
  service: string;
  slot: number;
  state: string; // running, pending, shutdown...
  desired: string;
  nodeHostname: string;
  host?: Host;
  containerId?: string;
  /** network name -> address (without prefix) */
  addresses: Record<string, string>;
  error?: string;
  /** When swarm created the task, and when its state last changed (ms since the epoch). */
  createdAt?: number;
  statusAt?: number;
}

export interface GaleraMember extends TaskInfo {
  endpoint?: { host: string; port: number };
  /** Why no endpoint was found: the inspect of its container failed (its first line). */
  endpointError?: string;
  /** Its host is stopped or paused: swarm may still list the task, nothing would answer. */
  hostDown?: boolean;
}

/** A manager whose engine answers, preferring the walkthrough's docker1. */
export async function reachableManager(lab: Lab): Promise<Host> {
  const live = await lab.liveNodes();
  for (const h of live) {
    try {
      const info = (await h.api.info()) as { Swarm?: { ControlAvailable?: boolean; LocalNodeState?: string } };
      if (info.Swarm?.ControlAvailable) return h;
    } catch {
      /* host down: try the next */
    }
  }
  const down = lab.nodes.filter((h) => !live.includes(h));
  throw new Error(`no manager of lab ${lab.name} answers (hosts running: ${live.map((h) => h.name).join(", ") || "none"}; stopped or paused: ${down.map((h) => h.name).join(", ") || "none"})`);
}

type ApiTask = {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  CreatedAt?: string;
  Status: { State: string; Timestamp?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: Array<{ Network: { Spec: { Name: string } }; Addresses?: string[] }>;
};

/** IDs of every task of every service that swarm wants running. */
export async function runningTaskIds(lab: Lab): Promise<string[]> {
  const manager = await reachableManager(lab);
  const tasks = (await manager.engine("list the swarm's tasks", (api) => api.listTasks({ filters: { "desired-state": ["running"] } }))) as ApiTask[];
  return tasks.map((t) => t.ID);
}

/** Tasks of a service from the swarm's own records (through a manager's API). */
export async function serviceTasks(lab: Lab, service = GALERA_SERVICE, all = false): Promise<TaskInfo[]> {
  const manager = await reachableManager(lab);
  const filters: Record<string, string[]> = { service: [service] };
  if (!all) filters["desired-state"] = ["running"];
  const tasks = (await manager.engine(`list the tasks of service ${service}`, (api) => api.listTasks({ filters }))) as ApiTask[];
  const nodes = (await manager.engine("list the swarm's nodes", (api) => api.listNodes())) as Array<{ ID: string; Description?: { Hostname?: string } }>;
  const hostnameOf = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  return tasks.map((t) => {
    const nodeHostname = hostnameOf.get(t.NodeID ?? "") ?? "";
    const addresses: Record<string, string> = {};
    for (const a of t.NetworksAttachments ?? []) {
      const addr = a.Addresses?.[0]?.split("/")[0];
      if (addr) addresses[a.Network.Spec.Name] = addr;
    }
    return {
      id: t.ID,
      service,
      slot: t.Slot ?? 0,
      state: t.Status.State,
      desired: t.DesiredState,
      nodeHostname,
      host: lab.nodes.find((h) => h.hostname === nodeHostname),
      containerId: t.Status.ContainerStatus?.ContainerID,
      addresses,
      error: t.Status.Err,
      ...(t.CreatedAt ? { createdAt: Date.parse(t.CreatedAt) } : {}),
      ...(t.Status.Timestamp ? { statusAt: Date.parse(t.Status.Timestamp) } : {}),
    };
  });
}

/**
 * Running task containers found on each host's own engine. Used when no manager can answer for
 * the swarm (quorum lost): the containers keep running without a leader.
 */
export async function tasksFromContainers(lab: Lab, service = GALERA_SERVICE): Promise<TaskInfo[]> {
  const out: TaskInfo[] = [];
  for (const host of await lab.liveNodes()) {
    let containers;
    try {
      containers = await host.api.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`] } });
    } catch {
      continue; // host down
    }
    for (const c of containers) {
      const addresses: Record<string, string> = {};
      for (const [name, n] of Object.entries(c.NetworkSettings?.Networks ?? {})) if (n.IPAddress) addresses[name] = n.IPAddress;
      const taskName = c.Labels["com.docker.swarm.task.name"] ?? "";
      out.push({
        id: c.Labels["com.docker.swarm.task.id"] ?? c.Id,
        service,
        slot: Number(taskName.split(".")[1] ?? 0),
        state: "running",
        desired: "running",
        nodeHostname: host.hostname,
        host,
        containerId: c.Id,
        addresses,
      });
    }
  }
  return out;
}

/** Running tasks with their MySQL endpoint (a host-mode published port on the task's host). */
export async function galeraMembers(lab: Lab, service = GALERA_SERVICE): Promise<GaleraMember[]> {
  const tasks = await serviceTasks(lab, service)
    .then((ts) => ts.filter((t) => t.state === "running"))
    .catch(() => tasksFromContainers(lab, service));
  const live = new Set((await lab.liveNodes()).map((h) => h.name));
  return Promise.all(
    tasks.map(async (t): Promise<GaleraMember> => {
      if (t.host && !live.has(t.host.name)) return { ...t, hostDown: true };
      if (!t.host || !t.containerId) return t;
      try {
        const info = await t.host.api.getContainer(t.containerId).inspect();
        const binding = info.NetworkSettings.Ports?.["3306/tcp"]?.[0];
        return binding ? { ...t, endpoint: { host: t.host.address, port: Number(binding.HostPort) } } : t;
      } catch (err) {
        return { ...t, endpointError: (err as Error).message.split("\n")[0] };
      }
    }),
  );
}

/** The task's address on its service's overlay (mynet for the seed; a stack's own network otherwise), never ingress. */
export function overlayAddress(t: TaskInfo): string | undefined {
  return t.addresses.mynet ?? Object.entries(t.addresses).find(([net]) => net !== "ingress")?.[1];
}

export function memberLabel(m: TaskInfo): string {
  return `${m.service}.${m.slot}@${m.host?.name ?? m.nodeHostname}`;
}

/** Who the lab logs in as: the seed's root, or a user's own service account. */
export interface Credentials {
  user?: string;
  password: string;
  database?: string;
}

const credentialsOf = (c: string | Credentials): Credentials => (typeof c === "string" ? { password: c } : c);

/** A mysql2 failure worded as execa words a command's: what was tried, against which member, and why. */
export class MemberError extends LabError {
  override name = "MemberError";
  constructor(operation: string, m: TaskInfo, cause: unknown) {
    const e = cause as { code?: string; message?: string };
    super(`${operation} on ${memberLabel(m)}${"endpoint" in m && m.endpoint ? ` (${(m as GaleraMember).endpoint!.host}:${(m as GaleraMember).endpoint!.port})` : ""} failed: ${e.message ?? String(cause)}${e.code ? ` [${e.code}]` : ""}`, { cause });
    this.code = e.code;
  }
  readonly code?: string;
}

export async function connect(m: GaleraMember, credentials: string | Credentials, timeoutMs = 4000): Promise<mysql.Connection> {
  if (m.hostDown) throw new Error(`${memberLabel(m)}: its host ${m.host?.name} is stopped or paused`);
  if (!m.endpoint) throw new Error(`${memberLabel(m)} has no published MySQL port${m.endpointError ? ` (the inspect of its container failed: ${m.endpointError})` : ""}`);
  const c = credentialsOf(credentials);
  // Through the member's host when this machine does not route to the lab (an engine elsewhere).
  const stream = m.host?.streamTo?.(m.endpoint.host, m.endpoint.port);
  try {
    return await mysql.createConnection({
      host: m.endpoint.host,
      port: m.endpoint.port,
      ...(stream ? { stream } : {}),
      user: c.user ?? "root",
      password: c.password,
      database: c.database,
      connectTimeout: timeoutMs,
    });
  } catch (err) {
    throw new MemberError(`connect as ${c.user ?? "root"}`, m, err);
  }
}

/**
 * Closes a connection for good. mysql2's destroy() only half-closes the socket (stream.end()) and
 * waits for the server's FIN; a member whose host was removed, frozen or cut off never sends it,
 * and that one open socket kept a finished `swarmlab run` (and the soak) alive for hours.
 */
export function hangUp(c: mysql.Connection): void {
  c.destroy();
  (c as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
}

export type WsrepStatus = Record<string, string>;

/** SHOW STATUS and the cluster address of one member, through mysql2. */
export async function wsrepOf(m: GaleraMember, credentials: string | Credentials): Promise<{ status: WsrepStatus; clusterAddress: string }> {
  const conn = await connect(m, credentials);
  try {
    const [rows] = await conn.query({ sql: "SHOW GLOBAL STATUS LIKE 'wsrep_%'", timeout: 4000 });
    const status: WsrepStatus = {};
    for (const r of rows as Array<{ Variable_name: string; Value: string }>) status[r.Variable_name] = r.Value;
    const [vars] = await conn.query({ sql: "SELECT @@wsrep_cluster_address AS a", timeout: 4000 });
    return { status, clusterAddress: String((vars as Array<{ a: string }>)[0]?.a ?? "") };
  } catch (err) {
    throw err instanceof MemberError ? err : new MemberError("SHOW GLOBAL STATUS LIKE 'wsrep_%'", m, err);
  } finally {
    hangUp(conn);
  }
}
