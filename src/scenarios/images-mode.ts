/**
 * What `--images upstream` means for a scenario: its commands and expectations name the
 * walkthrough's own images (the scenario files keep the lab's names, swarmlab/etcd and
 * swarmlab/galera, which `local` runs as written), and the faults that need the lab's own Galera
 * image are refused before the run, each with its reason. Pure: tested without a lab.
 */
import type { Scenario, Step } from "./schema.js";
import { FAULTS } from "../faults/kinds/index.js";
import { DEFAULT_CHAOS_FAULTS } from "../faults/chaos.js";
import { renameNote, rewriteImageRefs } from "../images/source.js";

/**
 * The step as it runs with these names (lab name → name used; empty: unchanged): a `run` step's
 * command and `expect` rewritten, whole image names only; with the note that says what changed.
 */
export function withImageNames(step: Step, table: Record<string, string>): { step: Step; note?: string } {
  if (!("run" in step) || !Object.keys(table).length) return { step };
  const run = rewriteImageRefs(step.run, table);
  const expect = step.expect === undefined ? undefined : rewriteImageRefs(step.expect, table);
  const renamed = [...run.renamed, ...(expect?.renamed ?? [])].filter(([from], i, all) => all.findIndex(([f]) => f === from) === i);
  if (!renamed.length) return { step };
  return { step: { ...step, run: run.text, ...(expect ? { expect: expect.text } : {}) }, note: renameNote(renamed) };
}

/** Each step (1-based) that needs the lab's own Galera image, and why. */
export function labImageNeeds(scenario: Pick<Scenario, "steps">): Array<{ step: number; reason: string }> {
  const needs = new Map(FAULTS.filter((k) => k.needsLabImage).map((k) => [k.name, k.needsLabImage!]));
  const out: Array<{ step: number; reason: string }> = [];
  scenario.steps.forEach((s, i) => {
    if ("fault" in s && needs.has(s.fault.kind)) out.push({ step: i + 1, reason: `fault ${s.fault.kind}: ${needs.get(s.fault.kind)}` });
    if ("chaos" in s) {
      const kinds = (s.chaos.faults ?? DEFAULT_CHAOS_FAULTS).filter((k) => needs.has(k));
      for (const k of kinds) out.push({ step: i + 1, reason: `chaos draws ${k} faults${s.chaos.faults ? "" : " (a default kind)"}: ${needs.get(k)}` });
    }
  });
  return out;
}

/** The one error for a scenario that cannot run with the walkthrough's images, or undefined. */
export function upstreamRefusal(scenario: Pick<Scenario, "name" | "steps">): { message: string; hint: string } | undefined {
  const needs = labImageNeeds(scenario);
  if (!needs.length) return undefined;
  return {
    message: `${scenario.name} needs the lab's own Galera image, which --images upstream does not run: ${needs.map((n) => `step ${n.step}, ${n.reason}`).join("; ")}`,
    hint: `run it with --images local${needs.some((n) => n.reason.startsWith("chaos")) ? ", or leave those kinds out of the chaos faults (--faults)" : ""}`,
  };
}
