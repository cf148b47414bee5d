/**
 * Overlay-mode discovery: how a task decides between bootstrapping and joining, and which peers
 * go into wsrep_cluster_address. Pure; the entrypoint does the I/O.
 */
import { compareIp } from "./address.js";

export interface Registration {
  /** The address in the key: /pxc-cluster/<cluster>/<ip> */
  address: string;
  /** Seconds left on its TTL as etcd reported it; <= 0 or missing TTL means not live. */
  ttl?: number;
}

export interface PeerInputs {
  self: string;
  registrations: Registration[];
  /** Current task addresses from `tasks.<service>` DNS, when it answered. A key whose task is gone is stale. */
  liveTasks?: string[];
}

/** Live, distinct peers other than itself, in address order. Exact comparison: 10.0.1.1 is not 10.0.1.10. */
export function livePeers({ self, registrations, liveTasks }: PeerInputs): string[] {
  const live = new Set(liveTasks ?? []);
  const peers = new Set<string>();
  for (const r of registrations) {
    if (r.address === self) continue;
    if (r.ttl !== undefined && r.ttl <= 0) continue;
    if (liveTasks && !live.has(r.address)) continue;
    peers.add(r.address);
  }
  return [...peers].sort(compareIp);
}

export type Decision =
  | { kind: "bootstrap"; clusterAddress: string; peers: string[] }
  | { kind: "join"; clusterAddress: string; peers: string[] }
  | { kind: "wait"; reason: string };

export interface DecideInputs extends PeerInputs {
  /** Whether this task won the atomic create of the bootstrap key (etcd prevExist=false). */
  wonBootstrap: boolean;
}

/**
 * The winner of the bootstrap key starts a new cluster (listing the other current tasks, so its
 * address is a real one, not gcomm://); everyone else joins live registered members, and waits
 * while there are none. A replacement task finds the key taken and joins the live members.
 */
export function decide(inputs: DecideInputs): Decision {
  const peers = livePeers(inputs);
  if (inputs.wonBootstrap) {
    const others = [...new Set((inputs.liveTasks ?? []).filter((a) => a !== inputs.self))].sort(compareIp);
    return { kind: "bootstrap", clusterAddress: gcomm(others), peers: others };
  }
  if (peers.length === 0) return { kind: "wait", reason: "no live registered member to join yet" };
  return { kind: "join", clusterAddress: gcomm(peers), peers };
}

export function gcomm(addresses: string[]): string {
  return `gcomm://${addresses.join(",")}`;
}
