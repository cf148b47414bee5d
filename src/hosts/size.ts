/**
 * A lab's size: how many hosts (docker1..dockerN), how many of them are swarm managers (the first
 * M; the rest join as workers), and Galera's replica count (${REPLICAS}). Pure, so every refusal
 * is unit tested; the same words serve the CLI (--size, --managers, --replicas) and a scenario's
 * `size:` field.
 */
import { LabError } from "../util/errors.js";

/** Hosts the pattern docker1..dockerN is taken to (one digit keeps every name the walkthrough's shape). */
export const MAX_HOSTS = 9;

export interface LabSize {
  hosts: number;
  managers: number;
  /** Galera members the seed creates (${REPLICAS}); the default `members` of the Galera waits and checks. */
  replicas: number;
}

export interface SizeInput {
  hosts?: number;
  managers?: number;
  replicas?: number;
  /** More replicas than hosts: swarm puts two members on one host. Refused unless asked for. */
  allowColocated?: boolean;
}

/**
 * The walkthrough's three hosts are all managers; beyond three, three managers (raft's usual
 * recommendation: one may fail) and the rest workers. Always odd: 1 host 1, 2 hosts 1, 3+ hosts 3.
 */
export function defaultManagers(hosts: number): number {
  const m = Math.min(hosts, 3);
  return m % 2 === 1 ? m : m - 1;
}

export interface SizeProblem {
  field: "hosts" | "managers" | "replicas";
  /** Starts with the value, so a caller can put its own name in front (--size 10, size.hosts: 10). */
  message: string;
}

const whole = (v: number) => Number.isInteger(v);

/** Every problem with a size at once; an empty list when it can be made. */
export function sizeProblems(input: SizeInput, defaultHosts = 3): SizeProblem[] {
  const out: SizeProblem[] = [];
  const hosts = input.hosts ?? defaultHosts;
  if (!whole(hosts) || hosts < 1 || hosts > MAX_HOSTS) {
    out.push({ field: "hosts", message: `${hosts} is not allowed: a lab has 1 to ${MAX_HOSTS} hosts` });
    return out; // the other limits depend on it
  }
  if (input.managers !== undefined) {
    const m = input.managers;
    if (!whole(m) || m < 1) out.push({ field: "managers", message: `${m} is not allowed: a swarm has at least 1 manager` });
    else if (m % 2 === 0) out.push({ field: "managers", message: `${m} is even: raft needs an odd number of managers (${m} tolerate no more lost managers than ${m - 1})` });
    else if (m > hosts) out.push({ field: "managers", message: `${m} is more than the lab's ${hosts} host${hosts === 1 ? "" : "s"}` });
  }
  if (input.replicas !== undefined) {
    const r = input.replicas;
    if (!whole(r) || r < 1 || r > MAX_HOSTS) out.push({ field: "replicas", message: `${r} is not allowed: 1 to ${MAX_HOSTS} Galera members` });
    else if (r > hosts && !input.allowColocated) {
      out.push({ field: "replicas", message: `${r} is more than the lab's ${hosts} host${hosts === 1 ? "" : "s"}: two Galera members would share a host (allow it with --allow-colocated)` });
    }
  }
  return out;
}

/** The CLI's names of the fields, for refusals. */
const FLAGS: Record<SizeProblem["field"], string> = { hosts: "--size", managers: "--managers", replicas: "--replicas" };

/** The size with defaults filled in, or a LabError naming every bad value and its limit (before anything is made). */
export function resolveLabSize(input: SizeInput = {}, defaultHosts = 3, names: Record<SizeProblem["field"], string> = FLAGS): LabSize {
  const problems = sizeProblems(input, defaultHosts);
  if (problems.length) throw new LabError(problems.map((p) => `${names[p.field]} ${p.message}`).join("; "));
  const hosts = input.hosts ?? defaultHosts;
  return { hosts, managers: input.managers ?? defaultManagers(hosts), replicas: input.replicas ?? hosts };
}

export const sameSize = (a: LabSize, b: LabSize): boolean => a.hosts === b.hosts && a.managers === b.managers && a.replicas === b.replicas;

/** "5 hosts (3 managers, 2 workers), 5 replicas" */
export function describeSize(s: LabSize): string {
  const workers = s.hosts - s.managers;
  return `${s.hosts} host${s.hosts === 1 ? "" : "s"} (${s.managers} manager${s.managers === 1 ? "" : "s"}${workers ? `, ${workers} worker${workers === 1 ? "" : "s"}` : ""}), ${s.replicas} replica${s.replicas === 1 ? "" : "s"}`;
}
