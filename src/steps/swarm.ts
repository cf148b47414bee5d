/** The walkthrough's swarm steps, one small unit each, run with the docker CLI inside the hosts. */
import type { Host } from "../hosts/host.js";
import { POLL_MS, waitFor } from "../util/wait.js";

export async function swarmInit(manager: Host): Promise<string> {
  const r = await manager.docker(["swarm", "init", "--advertise-addr", manager.address]);
  return r.stdout;
}

export async function managerJoinToken(manager: Host): Promise<string> {
  return (await manager.docker(["swarm", "join-token", "-q", "manager"])).stdout.trim();
}

/** The token hosts beyond the managers join with: they run tasks but are not raft members. */
export async function workerJoinToken(manager: Host): Promise<string> {
  return (await manager.docker(["swarm", "join-token", "-q", "worker"])).stdout.trim();
}

export async function swarmJoin(host: Host, token: string, managerAddress: string): Promise<string> {
  return (await host.docker(["swarm", "join", "--token", token, `${managerAddress}:2377`])).stdout;
}

export interface SwarmNodeRow {
  id: string;
  self: boolean;
  hostname: string;
  status: string;
  availability: string;
  managerStatus: string;
}

export function parseNodeLs(jsonLines: string): SwarmNodeRow[] {
  return jsonLines
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, string>)
    .map((o) => ({
      id: o.ID ?? "",
      self: o.Self === "true" || (o.Self as unknown) === true,
      hostname: o.Hostname ?? "",
      status: o.Status ?? "",
      availability: o.Availability ?? "",
      managerStatus: o.ManagerStatus ?? "",
    }));
}

export async function nodeList(manager: Host): Promise<SwarmNodeRow[]> {
  return parseNodeLs((await manager.docker(["node", "ls", "--format", "{{json .}}"], { timeoutMs: 20_000 })).stdout);
}

/**
 * Bounded wait until `expected` nodes are Ready with exactly one Leader. A worker has an empty
 * MANAGER STATUS; with `managers` given exactly that many nodes must be managers (default: every
 * node, as in the walkthrough's three managers).
 */
export async function waitSwarmReady(manager: Host, expected: number, timeoutMs = 60_000, signal?: AbortSignal, managers = expected): Promise<SwarmNodeRow[]> {
  return waitFor(
    managers === expected ? `${expected} Ready managers with one Leader` : `${expected} Ready nodes: ${managers} managers with one Leader, ${expected - managers} workers`,
    () => nodeList(manager),
    (rows) =>
      rows.length === expected &&
      rows.every((r) => r.status === "Ready") &&
      rows.filter((r) => r.managerStatus !== "").length === managers &&
      rows.filter((r) => r.managerStatus === "Leader").length === 1,
    { timeoutMs, intervalMs: POLL_MS, signal },
    (rows) => rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "worker"}`).join(" "),
  );
}

export async function createOverlay(manager: Host, name: string): Promise<string> {
  return (await manager.docker(["network", "create", "--driver", "overlay", name])).stdout.trim();
}
