/**
 * What the steps of a run share, and what a run returns. These types sit below faults/, checks/
 * and report/ (they import only leaf modules), so none of those needs the runner or each other.
 */
import type { Lab } from "../lab.js";
import type { Progress } from "../report/progress.js";
import type { RecoveryRecord } from "../faults/recovery.js";
import type { Rule } from "../faults/grudge.js";
import type { WriteBucket, WriteOp } from "../faults/history.js";
import type { Profile } from "../scenarios/profile.js";
import type { LostHostReport } from "../hosts/lost-host.js";

export interface StepResult {
  index: number;
  title: string;
  kind: string;
  host?: string;
  command?: string;
  ok: boolean;
  seconds: number;
  startedAt: string;
  output?: string;
  walkthrough?: string;
  /** What the runner changed in the command, and why (no IPVS...). */
  changed?: string;
  error?: string;
  /** Extra facts a step or check found (member states, recovery times). */
  details?: Record<string, unknown>;
}

/** A fault's spec as written in a scenario: its kind and that kind's fields. */
export interface FaultSpec {
  kind: string;
  host?: string;
  [field: string]: unknown;
}

/** The write workload: a real mysql2 client writing while faults are active. */
export interface Workload {
  /** Each workload writes its own table, so a lab reused across scenarios holds no foreign rows. */
  table: string;
  /** The MySQL-protocol service it writes to, and as whom. */
  service: string;
  user?: string;
  password?: string;
  history: WriteOp[];
  stop(): Promise<void>;
}

export interface ActiveFault {
  spec: FaultSpec;
  /** iptables rules added (deleted exactly by heal). */
  rules: Rule[];
  /** Hosts powered off (started again by heal) and frozen (thawed by heal). */
  stopped: string[];
  paused: string[];
  /** Undoes what the fault did beyond rules and power (a link delayer, a clock, a ballast file). */
  undo?: () => Promise<string[]>;
  /** The hosts it touches (its target, the hosts of its rules): what `heal: <host>` selects by. */
  hosts: string[];
  record: RecoveryRecord;
}

export interface FaultBook {
  active: ActiveFault[];
  workload?: Workload;
  /** A chaos run keeps the workload going between faults (heal would stop it when none is left). */
  keepWorkload?: boolean;
}

export interface TimelineEvent {
  at: string;
  what: string;
  data?: unknown;
}

/** What the steps of one scenario share while it runs. */
export interface RunContext {
  lab: Lab;
  progress: Progress;
  /** Aborted by Ctrl-C/SIGTERM (CLI) or the library caller: every wait, query and command stops. */
  signal: AbortSignal;
  /** Captured values and exported variables: the environment of later commands (HOSTS and REPLICAS from the lab). */
  vars: Record<string, string>;
  /** Galera's replica count for this run (${REPLICAS}): the default `members` of the Galera waits and checks. */
  replicas?: number;
  ipvs: boolean;
  password: string;
  /** The folder of the scenario file: user files (stacks, copies) are relative to it. */
  baseDir?: string;
  /** Task IDs of every service when the last fault began (members started since are judged on their own). */
  tasksAtFault?: Set<string>;
  /** How many members the fault's service had then: only that many Synced again counts as recovered. */
  membersAtFault?: number;
  /** Faults still active, and the write workload that runs while they are. */
  faults: FaultBook;
  /** One record per fault injected in this scenario: the recovery figures. */
  recoveries: RecoveryRecord[];
  /** Timers: the walkthrough's defaults or the tuned profile. */
  profile: Profile;
  /** The host that was Leader before a stop-leader fault. */
  formerLeader?: string;
  timeline: TimelineEvent[];
  /** What a chaos step ran: its schedule and figures. */
  chaos?: Record<string, unknown>;
}

/** What the sampler saw every few seconds (the timeline picture). */
export interface Sample {
  at: number;
  /** host name -> "Ready/Leader", "Down", ... (empty when no manager answered) */
  nodes: Record<string, string>;
  /** member label -> "Primary Synced 3", "non-Primary", "unreachable" */
  members: Record<string, string>;
  /** running tasks of the Galera service: "slot@host" */
  tasks: string[];
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  file: string;
  ok: boolean;
  /** Stopped by Ctrl-C/SIGTERM or the caller's signal, not failed. */
  interrupted?: boolean;
  seconds: number;
  startedAt: string;
  steps: StepResult[];
  timeline: TimelineEvent[];
  figures: Record<string, number>;
  /** One record per fault: when it showed, and how long until all members were Synced again. */
  recoveries: RecoveryRecord[];
  samples: Sample[];
  /** The write workload's outcomes in 5-second buckets. */
  writes: WriteBucket[];
  notes: string[];
  /** A chaos step's schedule and figures (report.json `chaos`). */
  chaos?: Record<string, unknown>;
  /** Hosts lost mid-run (their SSH gone): where, why, what heal skipped there, what to check. */
  lostHosts?: LostHostReport[];
}

/** The Galera member count a wait or check expects when its step gives none: the run's ${REPLICAS}, else one per host. */
export const replicasOf = (ctx: Pick<RunContext, "replicas" | "lab">): number => ctx.replicas ?? ctx.lab.nodes.length;
