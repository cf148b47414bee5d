/**
 * Scenario files: ordered steps a trainer can read like the walkthrough. Validated before anything
 * is created; every problem is reported at once, each as `file:line: path: message`. The step kinds
 * come from the registries (checks/kinds, faults/kinds): this file has no list of its own.
 */
import { readFileSync, existsSync } from "node:fs";
import { join, basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, type Node } from "yaml";
import { z } from "zod";
import { LabError } from "../util/errors.js";
import { projectRoot } from "../util/paths.js";
import { hostField, hostNamesForSize, labHostNames, seconds, withLabHostNames } from "../context/fields.js";
import { resolveLabSize, sizeProblems, type LabSize, type SizeInput } from "../hosts/size.js";
import { expandStep, substituteLabVariables, unknownVariable } from "./lab-vars.js";
import type { AnyCheckKind, AnyFaultKind, AnyWaitKind } from "../context/step-kinds.js";
import { WAITS, CHECKS } from "../checks/kinds/index.js";
import { FAULTS } from "../faults/kinds/index.js";
import { didYouMean, problemsOf, show, type Problem } from "../util/problems.js";
import { PROFILES } from "./profile.js";

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
    on: hostField("manager"),
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
    without_ipvs: z.object({ replace: z.string(), with: z.string(), why: z.string() }).strict().optional(),
    timeout: seconds.optional(),
    /** run again every second until it meets its expectations, for at most this many seconds */
    retry: seconds.optional(),
    /** when this step succeeds, the active fault has become visible (a recovery figure) */
    shows_fault: z.boolean().optional(),
  })
  .strict();

/** The write workload a fault step may start: `true` (the seed's service) or which service and login. */
const workloadField = z.union([
  z.boolean(),
  z.object({ service: z.string().optional(), user: z.string().optional(), password: z.string().optional(), database: z.string().optional() }).strict(),
]);

/** all: every active fault; a host: the active faults that touch it (its stop, its rules, its group). */
export const healStep = z.object({ ...common, heal: hostField("all") }).strict();

export const waitSchema = (k: AnyWaitKind) => z.object({ ...common, wait: z.literal(k.name), timeout: seconds, ...k.fields }).strict();
export const checkSchema = (k: AnyCheckKind) => z.object({ ...common, check: z.literal(k.name), timeout: seconds.optional(), ...k.fields }).strict();
export const faultSchema = (k: AnyFaultKind) => z.object({ kind: z.literal(k.name), ...k.fields }).strict();
const faultStepShape = { ...common, fault: z.record(z.unknown()), workload: workloadField.optional() };
const faultStepFrame = z.object(faultStepShape).strict();

export type RunStep = z.infer<typeof runStep>;
export type HealStep = z.infer<typeof healStep>;
type Common = { name?: string; explain?: string; explain_zh?: string };
/** A wait or check step: the fields shown here are those every kind may read; a kind's own are on the object too. */
export type WaitStep = Common & { wait: string; timeout: number; members?: number; service?: string };
export type CheckStep = Common & { check: string; timeout?: number; members?: number; service?: string };
export type FaultStep = Common & { fault: { kind: string; host?: string; [field: string]: unknown }; workload?: z.infer<typeof workloadField> };
/** A seeded random fault schedule with the write workload, healed, judged by the history check. */
export const chaosStep = z
  .object({
    ...common,
    chaos: z
      .object({
        seed: z.number().int().min(0).max(4294967295).describe("0-4294967295"),
        duration: z.union([z.number().positive().max(86_400), z.string().regex(/^\d+(\.\d+)?\s*(s|m|h)?$/)]).describe("seconds, or 90s, 10m, 1h"),
        faults: z.array(z.string()).min(1).optional(),
        hosts: z.array(hostField()).min(1).optional(),
        allow_majority_loss: z.boolean().optional(),
        max_concurrent: z.number().int().min(1).max(8).optional(),
        min_fault_seconds: z.number().positive().optional(),
        max_fault_seconds: z.number().positive().optional(),
        min_pause_seconds: z.number().min(0).optional(),
        max_pause_seconds: z.number().min(0).optional(),
        synced_timeout: seconds.optional(),
      })
      .strict(),
  })
  .strict();
export type ChaosStep = z.infer<typeof chaosStep>;

/** A path relative to the scenario file, inside its folder tree (checked against the file system at parse time). */
const userPath = z.string().min(1).describe("a path relative to the scenario file");

/** Builds a folder on this machine's engine; pushes the image to the lab's registry or loads it into every host. */
export const imageStep = z
  .object({ ...common, image: z.object({ build: userPath, tag: z.string().regex(/^[a-z0-9][a-z0-9._/-]*(:[\w.-]+)?$/).describe("name:tag"), dockerfile: z.string().optional(), push: z.boolean().optional() }).strict() })
  .strict();
/** `docker stack deploy -c <file> <name>` on a manager; the file's folder goes along. */
export const stackStep = z
  .object({
    ...common,
    stack: z.union([userPath, z.object({ file: userPath, name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).optional() }).strict()]),
    on: hostField("manager").optional(),
    env: z.record(z.string()).optional(),
  })
  .strict();
/** Copies a file or folder into hosts. */
export const copyStep = z
  .object({ ...common, copy: z.object({ from: userPath, to: z.string().regex(/^\//).describe("an absolute path on the host"), on: hostField("all") }).strict() })
  .strict();
export type ImageStep = z.infer<typeof imageStep>;
export type StackStep = z.infer<typeof stackStep>;
export type CopyStep = z.infer<typeof copyStep>;

export type Step = RunStep | WaitStep | CheckStep | FaultStep | HealStep | ChaosStep | ImageStep | StackStep | CopyStep;
export type StepFamily = "run" | "wait" | "check" | "fault" | "heal" | "chaos" | "image" | "stack" | "copy";

const FAMILY_KEYS: readonly StepFamily[] = ["run", "wait", "check", "fault", "heal", "chaos", "image", "stack", "copy"];

let fieldKeys: Set<string> | undefined;
const knownFieldKeys = () =>
  (fieldKeys ??= new Set([...Object.keys(runStep.shape), ...Object.keys(faultStepShape), "timeout", ...[...WAITS, ...CHECKS].flatMap((k) => Object.keys(k.fields))]));

const byName = <K extends { name: string }>(list: readonly K[], name: string) => list.find((k) => k.name === name);
export const waitKind = (name: string) => byName(WAITS, name);
export const checkKind = (name: string) => byName(CHECKS, name);
export const faultKindOf = (name: string) => byName(FAULTS, name);

/** Validates one step; returns the parsed step or the problems (paths start at the step). */
function parseStep(raw: unknown): { step?: Step; problems: Problem[] } {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { problems: [{ path: [], message: `${show(raw)} is not a step: a step is a mapping with one of ${FAMILY_KEYS.join(", ")}` }] };
  const keys = Object.keys(raw);
  const families = FAMILY_KEYS.filter((k) => keys.includes(k));
  if (families.length === 0) {
    // Only keys that are no field of any step can be a misspelt kind key (`on` is not a typo of `run`).
    const guesses = keys.filter((k) => !knownFieldKeys().has(k)).map((k) => ({ k, hint: didYouMean(k, FAMILY_KEYS) })).filter((g) => g.hint);
    if (guesses.length) return { problems: guesses.map((g) => ({ path: [g.k], message: `unknown step key "${g.k}"${g.hint}` })) };
    return { problems: [{ path: [], message: `not a known step (keys: ${keys.join(", ") || "none"}): a step has one of ${FAMILY_KEYS.join(", ")}` }] };
  }
  if (families.length > 1) return { problems: [{ path: [families[1]!], message: `a step has one of ${FAMILY_KEYS.join(", ")}, this one has ${families.join(" and ")}` }] };
  const family = families[0]!;
  const parseWith = (schema: z.ZodObject<z.ZodRawShape>): { step?: Step; problems: Problem[] } => {
    const r = schema.safeParse(raw);
    return r.success ? { step: r.data as Step, problems: [] } : { problems: problemsOf(r.error, raw, [], Object.keys(schema.shape)) };
  };
  const rec = raw as Record<string, unknown>;
  switch (family) {
    case "run":
      return parseWith(runStep);
    case "heal":
      return parseWith(healStep);
    case "chaos":
      return parseWith(chaosStep);
    case "image":
      return parseWith(imageStep);
    case "stack":
      return parseWith(stackStep);
    case "copy":
      return parseWith(copyStep);
    case "wait":
    case "check": {
      const list: ReadonlyArray<AnyWaitKind | AnyCheckKind> = family === "wait" ? WAITS : CHECKS;
      const name = rec[family];
      const kind = typeof name === "string" ? byName(list, name) : undefined;
      if (!kind) {
        return { problems: [{ path: [family], message: `${show(name)} is not a ${family} (${list.map((k) => k.name).join(", ")})${didYouMean(String(name), list.map((k) => k.name))}` }] };
      }
      return parseWith(family === "wait" ? waitSchema(kind as AnyWaitKind) : checkSchema(kind as AnyCheckKind));
    }
    case "fault": {
      const frame = faultStepFrame.safeParse(raw);
      const problems = frame.success ? [] : problemsOf(frame.error, raw, [], Object.keys(faultStepShape));
      const spec = rec.fault as Record<string, unknown> | undefined;
      if (!spec || typeof spec !== "object") return { problems };
      const kind = typeof spec.kind === "string" ? faultKindOf(spec.kind) : undefined;
      if (!kind) {
        problems.push({ path: ["fault", "kind"], message: `${show(spec.kind)} is not a fault kind (${FAULTS.map((k) => k.name).join(", ")})${didYouMean(String(spec.kind), FAULTS.map((k) => k.name))}` });
        return { problems };
      }
      const schema = faultSchema(kind);
      const r = schema.safeParse(spec);
      if (!r.success) problems.push(...problemsOf(r.error, spec, ["fault"], Object.keys(schema.shape)));
      else for (const p of kind.check?.(r.data as never) ?? []) problems.push({ path: ["fault", p.field], message: p.message });
      return problems.length ? { problems } : { step: { ...(frame.data as object), fault: r.data } as FaultStep, problems };
    }
  }
}

export const scenarioFrame = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and - only"),
    title: z.string(),
    description: z.string().optional(),
    /** The start state: bare hosts, a swarm, or the seed's Galera cluster (the seed runs first). */
    needs: z.union([z.enum(["bare", "swarm", "galera"]), z.tuple([z.enum(["bare", "swarm", "galera"]), z.literal("registry")])]),
    /** Environment for every command (the walkthrough's `export HostIP=...`). */
    env: z.record(z.string()).optional(),
    /** The lab this scenario is written for (default: --size, --managers, --replicas); limits are checked by sizeProblems. */
    size: z.object({ hosts: z.number(), managers: z.number().optional(), replicas: z.number().optional() }).strict().optional(),
    /**
     * The timers of the lab it starts from (scenarios/profile.ts): `tuned` where the scenario does not
     * teach the default timers and waits on them. A lab with other timers is not reused for it; an
     * explicit --profile wins.
     */
    profile: z.enum(PROFILES).optional(),
    steps: z.array(z.unknown()).min(1),
  })
  .strict();

/** labSize: the size it was read for (its own `size`, or the caller's): ${HOSTS}, ${REPLICAS} and for_each are resolved for it. */
export type Scenario = Omit<z.infer<typeof scenarioFrame>, "steps"> & { steps: Step[]; file: string; labSize?: LabSize };

export function stepKind(s: Step): StepFamily {
  for (const k of FAMILY_KEYS) if (k in s) return k;
  return "heal";
}

export function stepTitle(s: Step): string {
  if (s.name) return s.name;
  if ("run" in s) return `${s.on}: ${s.run.split("\n")[0]}`;
  if ("wait" in s) return `wait ${s.wait}${s.members !== undefined ? ` (${String(s.members)})` : ""}`;
  if ("check" in s) return `check ${s.check}`;
  if ("fault" in s) return `fault ${JSON.stringify(s.fault)}`;
  if ("image" in s) return `image ${s.image.tag} from ${s.image.build}${s.image.push ? " (pushed to the lab registry)" : ""}`;
  if ("stack" in s) return `stack deploy ${typeof s.stack === "string" ? s.stack : s.stack.file}`;
  if ("copy" in s) return `copy ${s.copy.from} to ${s.copy.on}:${s.copy.to}`;
  if ("chaos" in s) return `chaos seed ${s.chaos.seed} for ${s.chaos.duration}${typeof s.chaos.duration === "number" ? " s" : ""}`;
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

/** A scenario file with problems: every one, each with its line. */
export { FileProblemsError as ScenarioError } from "../util/problems.js";
import { FileProblemsError as ScenarioError } from "../util/problems.js";

/** The line of a key itself (not its value) when the path ends at a mapping key. */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: Array<string | number>): number {
  const node = nodeAt(doc, path);
  return node?.range ? lc.linePos(node.range[0]).line : 1;
}

/** Where a step names a user file: it must exist and stay inside the scenario's folder tree. */
function userPathProblems(s: Step, base: string): Problem[] {
  const out: Problem[] = [];
  const at: Array<[string[], string]> =
    "image" in s ? [[["image", "build"], s.image.build]] : "stack" in s ? [[typeof s.stack === "string" ? ["stack"] : ["stack", "file"], typeof s.stack === "string" ? s.stack : s.stack.file]] : "copy" in s ? [[["copy", "from"], s.copy.from]] : [];
  for (const [path, p] of at) {
    const full = resolve(base, p);
    const rel = relative(resolve(base), full);
    if (isAbsolute(p) || rel.startsWith("..")) out.push({ path, message: `${JSON.stringify(p)} is outside the scenario's folder (${base}): user files must be in it or below it` });
    else if (!existsSync(full)) out.push({ path, message: `${JSON.stringify(p)} does not exist (looked for ${full})` });
  }
  return out;
}

/**
 * The size a file is read for: its own `size` when it has one (its problems reported at size.*),
 * else the caller's (--size... refused by the caller before). A bad size falls back to the default.
 */
function sizeOf(raw: unknown, lab: SizeInput, problems: Problem[]): LabSize {
  const own = (raw as { size?: unknown } | null)?.size as Record<string, unknown> | undefined;
  const numbers = own && typeof own === "object" && ["hosts", "managers", "replicas"].every((k) => own[k] === undefined || typeof own[k] === "number");
  if (!own || !numbers) return resolveLabSize(own ? {} : lab, labHostNames().length);
  const input = { hosts: own.hosts as number, managers: own.managers as number | undefined, replicas: own.replicas as number | undefined, allowColocated: lab.allowColocated };
  const found = sizeProblems(input, labHostNames().length);
  for (const p of found) problems.push({ path: ["size", p.field], message: p.message });
  return found.length ? resolveLabSize({}, labHostNames().length) : resolveLabSize(input, labHostNames().length);
}

/** `lab`: the size of the lab it will run on, unless the file says its own (host names, ${HOSTS}, ${REPLICAS} and for_each follow it). */
export function parseScenario(text: string, file: string, lab: SizeInput = {}): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: `${pos.line}:${pos.col}`, path: "", message: `not valid YAML: ${e.message.split("\n")[0]}` };
      }),
    );
  }
  const problems: Problem[] = [];
  const labSize = sizeOf(doc.toJS(), lab, problems);
  // ${HOSTS} and ${REPLICAS} become the lab's numbers before validation (same shape: paths and lines stay).
  const raw: unknown = substituteLabVariables(doc.toJS(), labSize);
  const names = hostNamesForSize(labSize.hosts);
  /** A variable where a number or a host was expected says so, rather than "is a string". */
  const worded = (p: Problem, root: unknown, at: Array<string | number>): Problem => {
    const value = p.path.slice(at.length).reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], root);
    return { path: p.path, message: unknownVariable(value) ?? p.message };
  };
  const frame = scenarioFrame.safeParse(raw);
  if (!frame.success) problems.push(...problemsOf(frame.error, raw, [], Object.keys(scenarioFrame.shape)).map((p) => worded(p, raw, [])));
  const rawSteps = (raw as { steps?: unknown } | null)?.steps;
  const steps: Step[] = [];
  if (Array.isArray(rawSteps)) {
    withLabHostNames(names, () =>
      rawSteps.forEach((s, i) => {
        const at = ["steps", i];
        const expanded = expandStep(s, labSize, names);
        for (const p of expanded.problems) problems.push({ path: [...at, ...p.path], message: p.message });
        const seen = new Set<string>();
        for (const instance of expanded.probe === undefined ? expanded.instances : [...expanded.instances, expanded.probe]) {
          const r = parseStep(instance);
          // A for_each step's instances share its line: each problem once.
          for (const p of r.problems.map((q) => worded({ path: [...at, ...q.path], message: q.message }, instance, at))) {
            const key = `${p.path.join(".")}: ${p.message}`;
            if (!seen.has(key)) problems.push(p);
            seen.add(key);
          }
          if (r.step && instance !== expanded.probe) {
            steps.push(r.step);
            for (const p of userPathProblems(r.step, dirname(file))) problems.push({ path: [...at, ...p.path], message: p.message });
          }
        }
      }),
    );
  }
  if (problems.length || !frame.success) {
    throw new ScenarioError(
      file,
      problems.map((p) => ({ line: lineOf(doc, lineCounter, p.path), path: p.path.join(".") || "(top)", message: p.message })),
    );
  }
  return { ...frame.data, steps, file, labSize };
}

export const scenariosDir = join(projectRoot, "scenarios");

/** A scenario by name (scenarios/<name>.yaml) or by path, read for a lab of this size (unless it says its own). */
export function loadScenario(nameOrPath: string, lab: SizeInput = {}): Scenario {
  const file = existsSync(nameOrPath) ? nameOrPath : join(scenariosDir, `${nameOrPath}.yaml`);
  if (!existsSync(file)) throw new LabError(`no scenario "${nameOrPath}" (looked for ${file})`, { hint: `scenarios are in ${scenariosDir}` });
  const s = parseScenario(readFileSync(file, "utf8"), file, lab);
  if (s.name !== basename(file, ".yaml") && !existsSync(nameOrPath)) {
    throw new LabError(`${file}: name "${s.name}" does not match the file name`);
  }
  return s;
}

/** The folder user files of a scenario are relative to. */
export const scenarioDir = (s: Scenario) => dirname(s.file);

/** The start state a scenario needs, and whether it needs the lab's registry (`needs: [swarm, registry]`). */
export function startState(s: Pick<Scenario, "needs">): { state: "bare" | "swarm" | "galera"; registry: boolean } {
  return Array.isArray(s.needs) ? { state: s.needs[0], registry: true } : { state: s.needs, registry: false };
}
