import type { Lab } from "../lab.js";
import type { Progress } from "../report/progress.js";
import type { FaultBook } from "../faults/nemesis.js";
import type { RecoveryRecord } from "../faults/recovery.js";

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

/** What the steps of one scenario share while it runs. */
export interface RunContext {
  lab: Lab;
  progress: Progress;
  /** Captured values and exported variables: the environment of later commands. */
  vars: Record<string, string>;
  ipvs: boolean;
  password: string;
  /** Task IDs of the Galera service when the last fault began. */
  tasksAtFault?: Set<string>;
  /** Faults still active, and the write workload that runs while they are. */
  faults: FaultBook;
  /** One record per fault injected in this scenario: the recovery figures. */
  recoveries: RecoveryRecord[];
  /** Timers: the walkthrough's defaults or the tuned profile. */
  profile: import("./profile.js").Profile;
  /** The host that was Leader before a stop-leader fault. */
  formerLeader?: string;
  timeline: Array<{ at: string; what: string; data?: unknown }>;
}
