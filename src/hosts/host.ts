/**
 * What a lab host is, whoever provides it (a docker-in-docker container, a machine over SSH), and
 * what a provider does with hosts. Faults, checks, status, logs, bench and the library use only
 * these; hosts/dind/ and hosts/ssh/ implement them. (kind's Provider and Node, Jepsen's Remote.)
 */
import type Docker from "dockerode";
import type { RunOptions, RunResult } from "../util/run.js";
import { LabError } from "../util/errors.js";

export interface Host {
  /** The walkthrough's name: docker1 */
  readonly name: string;
  /** What its provider calls it: a container name (lab-docker1), user@machine for SSH. */
  readonly id: string;
  readonly hostname: string;
  /** Its address on the lab's network: where the other hosts and the checks reach it. */
  readonly address: string;
  /** A dockerode client of the host's own engine. */
  readonly api: Docker;
  /** Runs argv on the host, with environment variables set. */
  exec(argv: readonly string[], opts?: RunOptions, vars?: Record<string, string>): Promise<RunResult>;
  /** Runs a shell command line on the host, as a person at its prompt would. */
  sh(command: string, opts?: RunOptions, vars?: Record<string, string>): Promise<RunResult>;
  /** The docker CLI of the host's own engine. */
  docker(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** A call to the host's engine API, its failure worded with the operation and the host. */
  engine<T>(operation: string, call: (api: Docker) => Promise<T>): Promise<T>;
  /**
   * A connection to address:port on the lab's network opened from the host itself, for where this
   * machine does not route to the lab (an engine elsewhere); undefined: connect directly.
   */
  streamTo?(address: string, port: number): import("node:stream").Duplex | undefined;
  /** Runs argv on the host with a local file as its standard input (docker load < archive). */
  execWithInput(argv: readonly string[], file: string, opts?: RunOptions): Promise<RunResult>;
}

/** What a fault or heal can do to a host's power. */
export type PowerOp = "stop" | "kill" | "pause" | "resume" | "start" | "restart";

/** Things not every provider can do: a scenario or fault that needs one is refused before it runs. */
export type ProviderFeature =
  /** freeze a whole host (cgroup freezer / SIGSTOP of its engine) */
  | "pause"
  /** a volume of images kept between labs */
  | "image-cache"
  /** resident memory of every process of a host, from this machine */
  | "memory-figures"
  /** hosts made and removed by the lab itself */
  | "create";

export interface RemovalSummary {
  containers: string[];
  networks: string[];
  volumes: string[];
  /** What else was undone (an SSH host's swarm, rules, images). */
  other?: string[];
}

export interface HostProvider {
  readonly kind: "dind" | "ssh";
  power(host: Host, op: PowerOp, opts?: { grace?: number; signal?: AbortSignal }): Promise<void>;
  /** The hosts that run and are not frozen, asked of the provider (a stopped host's API would stall). */
  live(hosts: readonly Host[]): Promise<Host[]>;
  /** One word per host for status: running, paused, exited, unreachable. */
  states(hosts: readonly Host[]): Promise<Record<string, string>>;
  /** Everything the lab made there, and nothing else. */
  remove(lab: string): Promise<RemovalSummary>;
  supports(feature: ProviderFeature): boolean;
  /** Rules put above every fault's rules on a host, so the lab never cuts itself off (SSH, the controller). */
  guardRules?(host: string): Promise<import("../faults/grudge.js").Rule[]>;
  /** Hosts declared lost mid-run (SSH gone, one reconnect failed) at or after `since` (ms) and not reached since: ssh only. */
  lostHosts?(since?: number): import("./lost-host.js").HostUnreachableError[];
  /** Closes connections (SSH) so the process can exit. */
  close?(): Promise<void>;
  /** Why a feature is missing, for the refusal. */
  why(feature: ProviderFeature): string;
}

/** A lab's hosts as its provider made or found them. */
export interface LabHosts {
  name: string;
  subnet: string;
  network: string;
  /** How the provider runs them (dind: privileged or capabilities; ssh: ssh). */
  mode: string;
  hosts: Host[];
  /** How many hosts (the first ones) are swarm managers, the rest workers; undefined: every host, as the walkthrough. */
  managers?: number;
  /** The compose file's topology: the walkthrough's names and addresses, before any move. */
  topology: import("./compose.js").LabTopology;
}

export function hostByName<H extends Host>(lab: { name: string; hosts: H[] }, name: string): H {
  const h = lab.hosts.find((x) => x.name === name || x.id === name || x.hostname === name);
  if (!h) throw new LabError(`no host "${name}" in lab ${lab.name}`, { hint: `hosts are: ${lab.hosts.map((x) => x.name).join(", ")}` });
  return h;
}
