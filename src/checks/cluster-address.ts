/** Is a member's wsrep_cluster_address one that can (re)join the cluster? Pure, unit tested. */
import { parseCidr, contains } from "../hosts/subnet.js";

export interface AddressContext {
  /** The member's own overlay address. */
  self: string;
  /** Addresses of the service's current tasks on the overlay network. */
  currentTasks: string[];
  /** Subnets no peer address may be in: ingress, docker_gwbridge. */
  foreign: Array<{ name: string; cidr: string }>;
}

export function parseGcomm(address: string): string[] | null {
  const m = address.match(/^gcomm:\/\/([^?]*)(\?.*)?$/);
  if (!m) return null;
  return (m[1] ?? "").split(",").map((a) => a.trim().replace(/:\d+$/, "")).filter((a) => a !== "");
}

/** The problems with an address; an empty list means valid. */
export function clusterAddressProblems(address: string, ctx: AddressContext): string[] {
  const peers = parseGcomm(address);
  if (!peers) return [`"${address}" is not a gcomm:// address`];
  if (peers.length === 0) return [`"${address}" names no peer (a bootstrap address cannot rejoin anything)`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of peers) {
    if (seen.has(p)) {
      problems.push(`${p} is listed twice`);
      continue;
    }
    seen.add(p);
    const on = ctx.foreign.find((f) => /^\d+\.\d+\.\d+\.\d+$/.test(p) && contains(parseCidr(f.cidr), p));
    if (on) problems.push(`${p} is on ${on.name} (${on.cidr}), not on the service's overlay network`);
    else if (!ctx.currentTasks.includes(p)) problems.push(`${p} is not the address of a current task`);
  }
  if ([...seen].every((p) => p === ctx.self)) problems.push(`it lists only the member itself (${ctx.self})`);
  return problems;
}

const ENDED = new Set(["shutdown", "failed", "complete", "rejected", "orphaned", "remove"]);

/**
 * An address a member names that is no task now may have been one when the member started: Galera
 * reads wsrep_cluster_address only then, so a task that ended later leaves it stale and harmless
 * (failure story 4). True when some task with that address was created before the member and had
 * not ended yet when the member was created.
 */
export function liveWhenCreated(address: string, memberCreatedAt: number, tasks: readonly { addresses: Record<string, string>; state: string; createdAt?: number; statusAt?: number }[]): boolean {
  return tasks.some(
    (t) =>
      Object.values(t.addresses).includes(address) &&
      t.createdAt !== undefined &&
      t.createdAt <= memberCreatedAt &&
      (!ENDED.has(t.state) || (t.statusAt !== undefined && t.statusAt >= memberCreatedAt)),
  );
}
