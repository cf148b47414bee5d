/** Which active faults a symptom or a heal belongs to. Pure over the run context's fault book. */
import type { ActiveFault, RunContext } from "../context/run-context.js";
import type { RecoveryRecord } from "./recovery.js";
import { LabError } from "../util/errors.js";

/** The faults a symptom can belong to: every active one, or those that touch `host`. */
export function activeCauses(ctx: Pick<RunContext, "faults">, host?: string): RecoveryRecord[] {
  return ctx.faults.active.filter((f) => !host || f.hosts.includes(host)).map((f) => f.record);
}

/** The active faults `heal` selects: all of them, or those that touch one host. */
export function faultsToHeal(active: ActiveFault[], which: "all" | string): ActiveFault[] {
  if (which === "all") return [...active];
  const chosen = active.filter((f) => f.hosts.includes(which));
  if (!chosen.length) {
    const now = active.map((f) => `${f.record.fault} (${f.hosts.join(", ")})`).join("; ") || "none";
    throw new LabError(`heal ${which}: no active fault touches ${which}; active faults: ${now}`);
  }
  return chosen;
}
