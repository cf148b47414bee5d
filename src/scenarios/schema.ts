/**
 * Scenario files: ordered steps a trainer can read like the walkthrough. Validated before
 * anything is created; an error names the file, the line and the reason.
 */
import { readFileSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, type Node } from "yaml";
import { z } from "zod";
import { LabError } from "../util/errors.js";
import { projectRoot } from "../util/paths.js";
import { readCompose } from "../hosts/compose.js";

// The compose file is the single source of truth for host names.
const HOSTS = readCompose(join(projectRoot, "docker-compose.dind.yml")).hosts.map((h) => h.service);
const hostName = z.string().refine((h) => HOSTS.includes(h), { message: `must be a host of the lab: ${HOSTS.join(", ")}` });
const seconds = z.number().positive().max(3600);

const common = {
  name: z.string().min(1).optional(),
  /** What the walkthrough says about this step (English, and the walkthrough's own language). */
  explain: z.string().optional(),
  explain_zh: z.string().optional(),
};

export const runStep = z
  .object({
    ...common,
    /** a host of the lab, or "manager": whichever swarm manager answers (when the usual one may be down) */
    on: z.string().refine((h) => h === "manager" || HOSTS.includes(h), { message: `must be a host of the lab (${HOSTS.join(", ")}) or "manager"` }),
    run: z.string().min(1),
    /** name -> regex with one group: the value becomes ${name} (an environment variable) for later commands */
    capture: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
    /** the output must match this regex */
    expect: z.string().optional(),
    /** the command must fail (and its output match `expect`) */
    expect_failure: z.boolean().optional(),
    /** the output the walkthrough printed, for `walk` */
    walkthrough: z.string().optional(),
    /** the output is deterministic: it must equal `walkthrough` */
    same_as_walkthrough: z.boolean().optional(),
    /** where the kernel has no IPVS: replace text in the command, and say why */
    without_ipvs: z.object({ replace: z.string(), with: z.string(), why: z.string() }).optional(),
    timeout: seconds.optional(),
    /** run again every 2 s until it meets its expectations, for at most this many seconds */
    retry: seconds.optional(),
    /** when this step succeeds, the active fault has become visible (a recovery figure) */
    shows_fault: z.boolean().optional(),
  })
  .strict();

export const WAIT_CONDITIONS = ["swarm-ready", "swarm-leader", "service-running", "galera-synced", "galera-degraded", "host-down", "task-log"] as const;
export const waitStep = z
  .object({
    ...common,
    wait: z.enum(WAIT_CONDITIONS),
    service: z.string().optional(),
    members: z.number().int().min(0).max(9).optional(),
    /** host-down: the host to watch (default: the host the newest fault stopped) */
    host: hostName.optional(),
    pattern: z.string().optional(),
    timeout: seconds,
  })
  .strict();

export const CHECKS = ["swarm-roles", "service-spread", "galera-health", "cluster-address", "replication", "history", "task-log", "no-address-explained", "discovery"] as const;
export const checkStep = z
  .object({
    ...common,
    check: z.enum(CHECKS),
    service: z.string().optional(),
    members: z.number().int().min(1).max(9).optional(),
    pattern: z.string().optional(),
    /** discovery: whether the service's tasks must have been given valid or invalid addresses */
    verdict: z.enum(["valid", "invalid"]).optional(),
    timeout: seconds.optional(),
  })
  .strict();

/** stop's grace in seconds: 0 (the default) is SIGTERM then SIGKILL at once, more is a clean shutdown. */
const grace = z.number().int().min(0).max(300).optional();
export const PORTS = ["7946/tcp", "7946/udp", "4789/udp", "2377/tcp", "4567/tcp"] as const;
export const faultSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("stop"), host: hostName, grace }).strict(),
  z.object({ kind: z.enum(["kill", "pause", "restart"]), host: hostName }).strict(),
  z.object({ kind: z.literal("stop-leader"), grace }).strict(),
  z.object({ kind: z.literal("ports"), host: hostName, ports: z.array(z.enum(PORTS)).min(1), direction: z.enum(["in", "out", "both"]).default("both") }).strict(),
  z.object({ kind: z.literal("isolate"), host: hostName, direction: z.enum(["in", "out", "both"]).default("both") }).strict(),
  z.object({ kind: z.literal("split"), groups: z.array(z.array(hostName).min(1)).min(2), direction: z.enum(["in", "out", "both"]).default("both") }).strict(),
]);
export const faultStep = z.object({ ...common, fault: faultSpec, workload: z.boolean().optional() }).strict();
/** all: every active fault; a host: the active faults that touch it (its stop, its rules, its group). */
export const healStep = z
  .object({ ...common, heal: z.string().refine((h) => h === "all" || HOSTS.includes(h), { message: `must be "all" or a host of the lab (${HOSTS.join(", ")})` }) })
  .strict();

export const step = z.union([runStep, waitStep, checkStep, faultStep, healStep]);
export type Step = z.infer<typeof step>;

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string(),
    description: z.string().optional(),
    /** The start state: bare hosts, a swarm, or the seed's Galera cluster (the seed runs first). */
    needs: z.enum(["bare", "swarm", "galera"]),
    /** Environment for every command (the walkthrough's `export HostIP=...`). */
    env: z.record(z.string()).optional(),
    steps: z.array(step).min(1),
  })
  .strict();
export type Scenario = z.infer<typeof scenarioSchema> & { file: string };

export function stepKind(s: Step): "run" | "wait" | "check" | "fault" | "heal" {
  if ("run" in s) return "run";
  if ("wait" in s) return "wait";
  if ("check" in s) return "check";
  if ("fault" in s) return "fault";
  return "heal";
}

export function stepTitle(s: Step): string {
  if (s.name) return s.name;
  if ("run" in s) return `${s.on}: ${s.run.split("\n")[0]}`;
  if ("wait" in s) return `wait ${s.wait}${s.members !== undefined ? ` (${s.members})` : ""}`;
  if ("check" in s) return `check ${s.check}`;
  if ("fault" in s) return `fault ${JSON.stringify(s.fault)}`;
  return `heal ${s.heal}`;
}

/** The node of `path` in the YAML, or the deepest existing parent, for its line. */
function nodeAt(doc: ReturnType<typeof parseDocument>, path: Array<string | number>): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && (isMap(node) || isSeq(node) || (node as Node).range)) return node;
  }
  return undefined;
}

const STEP_KEYS = ["run", "wait", "check", "fault", "heal"] as const;

/** For a step that matches no kind, report the errors of the kind its keys name (run, wait, ...). */
function describeIssue(issue: z.ZodIssue, raw: unknown): { path: Array<string | number>; message: string } {
  if (issue.code === "invalid_union") {
    let value: unknown = raw;
    for (const k of issue.path) value = (value as Record<string | number, unknown> | undefined)?.[k];
    const keys = value && typeof value === "object" ? Object.keys(value) : [];
    const kind = STEP_KEYS.findIndex((k) => keys.includes(k));
    const branch = kind >= 0 ? issue.unionErrors[kind]?.issues[0] : undefined;
    if (branch) return describeIssue(branch, raw);
    return { path: issue.path, message: `not a known step (keys: ${keys.join(", ") || "none"}): a step has one of run, wait, check, fault or heal` };
  }
  return { path: issue.path, message: issue.message };
}

export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new LabError(`${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const raw: unknown = doc.toJS();
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0]!, raw);
    const node = nodeAt(doc, path);
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : 1;
    throw new LabError(`${file}:${line}: ${path.join(".") || "(top)"}: ${message}`);
  }
  return { ...parsed.data, file };
}

export const scenariosDir = join(projectRoot, "scenarios");

/** A scenario by name (scenarios/<name>.yaml) or by path. */
export function loadScenario(nameOrPath: string): Scenario {
  const file = existsSync(nameOrPath) ? nameOrPath : join(scenariosDir, `${nameOrPath}.yaml`);
  if (!existsSync(file)) throw new LabError(`no scenario "${nameOrPath}" (looked for ${file})`, { hint: `scenarios are in ${scenariosDir}` });
  const s = parseScenario(readFileSync(file, "utf8"), file);
  if (s.name !== basename(file, ".yaml") && !existsSync(nameOrPath)) {
    throw new LabError(`${file}: name "${s.name}" does not match the file name`);
  }
  return s;
}
