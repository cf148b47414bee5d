/**
 * One declaration per step kind: its name, its fields (a zod shape), the line that documents it
 * (docs/scenario-format.md and `walk` are made from it) and what it does. The scenario schema, the
 * runner, walk and the docs all read the same lists (checks/kinds, faults/kinds), so adding a wait,
 * a check or a fault is one file plus one line in its list.
 */
import type { z } from "zod";
import type { Rule } from "../faults/grudge.js";
import type { FaultSpec, RunContext } from "./run-context.js";

export type Details = Record<string, unknown>;

interface Declared<F extends z.ZodRawShape> {
  name: string;
  /** One line: what it waits for / checks / does. Shown by walk and in docs/scenario-format.md. */
  doc: string;
  /** Its fields beyond the common ones (name, explain, and for waits `timeout`). */
  fields: F;
  /** What walk tells a learner it does, in English and in the walkthrough's language (default: doc). */
  teach?: { en: string; zh: string };
  /** A YAML example of the step, for the docs (optional). */
  example?: string;
}

export interface WaitKind<F extends z.ZodRawShape = z.ZodRawShape> extends Declared<F> {
  run(ctx: RunContext, step: z.infer<z.ZodObject<F>> & { timeout: number }): Promise<Details>;
}

export interface CheckKind<F extends z.ZodRawShape = z.ZodRawShape> extends Declared<F> {
  run(ctx: RunContext, step: z.infer<z.ZodObject<F>> & { timeout?: number }): Promise<Details>;
}

/** What applying a fault did: the generic nemesis records it and heal undoes exactly that. */
export interface FaultEffect {
  /** The host it hit (for stop-leader: the leader it found). */
  target?: string;
  rules?: Rule[];
  stopped?: string[];
  paused?: string[];
  /** Anything else to undo on heal; returns what it did, one line each. */
  undo?: () => Promise<string[]>;
  /** Over when apply returns (a restart): nothing stays active to heal. */
  instant?: boolean;
  /** How the fault was made, when there was a choice (netem or netfilter...). */
  route?: string;
  details?: Details;
}

export interface FaultKind<F extends z.ZodRawShape = z.ZodRawShape> extends Declared<F> {
  apply(ctx: RunContext, spec: z.infer<z.ZodObject<F>> & { kind: string }): Promise<FaultEffect>;
  /** A short description for reports ("ports docker3 4789/udp (both)"); default: kind and host. */
  describe?(spec: z.infer<z.ZodObject<F>> & { kind: string }, target?: string): string;
  /** Problems between fields (each names its field), found before anything starts. */
  check?(spec: z.infer<z.ZodObject<F>> & { kind: string }): Array<{ field: string; message: string }>;
  /** Does this fault take its host's member out of the cluster (for chaos' majority rule)? */
  takesHostOut?: boolean;
  /**
   * What it needs of the lab's own Galera image (swarmlab/galera), when it needs something: with
   * `--images upstream` the walkthrough's Percona image runs instead, and the fault is refused
   * before the run with this reason.
   */
  needsLabImage?: string;
}

// Identity helpers: they only let TypeScript infer the step's type from `fields`.
export const defineWait = <F extends z.ZodRawShape>(k: WaitKind<F>): WaitKind<F> => k;
export const defineCheck = <F extends z.ZodRawShape>(k: CheckKind<F>): CheckKind<F> => k;
export const defineFault = <F extends z.ZodRawShape>(k: FaultKind<F>): FaultKind<F> => k;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWaitKind = WaitKind<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheckKind = CheckKind<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFaultKind = FaultKind<any>;

export function describeFaultSpec(spec: FaultSpec, target?: string): string {
  return `${spec.kind} ${target ?? spec.host ?? ""}`.trim();
}
