/**
 * What a scenario file may say about the lab's size, resolved when the file is read (the session
 * knows the size before it parses): ${HOSTS} and ${REPLICAS} anywhere in the file, and steps with
 * `for_each` repeated for each joining manager or worker host, with ${HOST} its name. Done before
 * validation, so `members: ${REPLICAS}` is validated as the number it becomes, and the report and
 * `walk` show the commands that run (the walkthrough's own, `--replicas 3`, in the default lab).
 * Pure.
 */
import type { LabSize } from "../hosts/size.js";
import type { Problem } from "../util/problems.js";

/** The lab's variables: in the file (replaced when it is read) and in every command's environment. */
export const LAB_VARIABLES = ["HOSTS", "REPLICAS"] as const;

export function labVariables(size: LabSize): Record<(typeof LAB_VARIABLES)[number], string> {
  return { HOSTS: String(size.hosts), REPLICAS: String(size.replicas) };
}

const ANY = /\$\{(HOSTS|REPLICAS)\}/g;
const WHOLE = /^\$\{(HOSTS|REPLICAS)\}$/;

/**
 * ${HOSTS} and ${REPLICAS} replaced in every string of a parsed YAML value. A value that is only one
 * of them becomes the number (`members: ${REPLICAS}`), except under `env`, whose values are text.
 */
export function substituteLabVariables(value: unknown, size: LabSize, underEnv = false): unknown {
  const vars = labVariables(size);
  if (typeof value === "string") {
    const whole = value.match(WHOLE);
    if (whole && !underEnv) return Number(vars[whole[1] as keyof typeof vars]);
    return value.replace(ANY, (_, name: keyof typeof vars) => vars[name]);
  }
  if (Array.isArray(value)) return value.map((v) => substituteLabVariables(v, size, underEnv));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteLabVariables(v, size, underEnv || k === "env")]));
  }
  return value;
}

/** `for_each` values: the hosts a step is repeated for. */
export const FOR_EACH = ["joining-managers", "workers"] as const;
export type ForEach = (typeof FOR_EACH)[number];

/** joining-managers: the managers after the first host (which inits the swarm); workers: the hosts beyond the managers. */
export function forEachHosts(which: ForEach, size: LabSize, names: readonly string[]): string[] {
  return which === "joining-managers" ? names.slice(1, size.managers) : names.slice(size.managers, size.hosts);
}

function substituteHost(value: unknown, host: string): unknown {
  if (typeof value === "string") return value.split("${HOST}").join(host);
  if (Array.isArray(value)) return value.map((v) => substituteHost(v, host));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteHost(v, host)]));
  return value;
}

export interface Expanded {
  /** The steps this one stands for at this size (itself when it has no for_each). */
  instances: unknown[];
  /** What to validate when a for_each step has no host at this size: a mistake shows at any size. */
  probe?: unknown;
  problems: Problem[];
}

/** One raw step, its for_each resolved for the lab's size. */
export function expandStep(raw: unknown, size: LabSize, names: readonly string[]): Expanded {
  if (!raw || typeof raw !== "object" || Array.isArray(raw) || !("for_each" in raw)) return { instances: [raw], problems: [] };
  const { for_each: which, ...step } = raw as Record<string, unknown>;
  if (!FOR_EACH.includes(which as ForEach)) {
    return { instances: [], probe: substituteHost(step, names[0]!), problems: [{ path: ["for_each"], message: `${JSON.stringify(which)} is not allowed (${FOR_EACH.join(", ")})` }] };
  }
  const hosts = forEachHosts(which as ForEach, size, names);
  return { instances: hosts.map((h) => substituteHost(step, h)), probe: hosts.length ? undefined : substituteHost(step, names[0]!), problems: [] };
}

/** When a value is a variable the file cannot use there, a message that says so (instead of "is a string"). */
export function unknownVariable(value: unknown): string | undefined {
  const m = typeof value === "string" ? value.match(/^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/) : null;
  if (!m) return undefined;
  return `${JSON.stringify(value)}: ${m[1]} is not a variable the lab sets here (${LAB_VARIABLES.map((v) => `\${${v}}`).join(", ")}; \${HOST} in a step with for_each)`;
}
