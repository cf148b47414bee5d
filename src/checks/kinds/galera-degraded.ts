import { defineWait } from "../../context/step-kinds.js";
import { replicasOf, type RunContext } from "../../context/run-context.js";
import { members, serviceName } from "../../context/fields.js";
import { POLL_MS, waitFor } from "../../util/wait.js";
import { galeraView, describeView } from "../conditions.js";
import { swarmView } from "../swarm-view.js";
import { noteVisible } from "../../faults/recovery.js";
import { activeCauses } from "../../faults/active.js";

/**
 * Waits for the partition to show in Galera: `n` Primary members of that size, and every other
 * running member non-Primary or unreachable (0: no Primary at all, and one member says so itself).
 */
export async function waitDegraded(ctx: RunContext, n: number, timeoutMs: number, service?: string): Promise<Record<string, unknown>> {
  const view = await waitFor(
    n === 0 ? "every running Galera member to be non-Primary" : `Galera to split: ${n} members Primary with size ${n}, the rest non-Primary`,
    () => galeraView(ctx, service),
    (v) => {
      const primary = v.filter((m) => m.status === "Primary" && m.size === n);
      const answeringOthers = v.filter((m) => m.status && m.status !== "Primary");
      return primary.length === n && v.length > n && v.every((m) => (m.status === "Primary" ? m.size === n : true)) && (n > 0 || answeringOthers.length > 0);
    },
    { timeoutMs, intervalMs: POLL_MS, signal: ctx.signal },
    describeView,
  );
  const seconds = noteVisible(ctx.recoveries, n === 0 ? "Galera: no Primary component" : `Galera: ${n} Primary, the rest not`, Date.now(), activeCauses(ctx));
  const swarm = await swarmView(ctx);
  ctx.timeline.push({ at: new Date().toISOString(), what: "galera degraded", data: { view, swarm } });
  return { faultVisibleSeconds: seconds, members: view, swarm };
}

export default defineWait({
  name: "galera-degraded",
  doc: "the split shows in Galera: `members` (default ${REPLICAS} - 1: one member cut off) Primary with that size, the rest non-Primary (0: no Primary anywhere)",
  teach: { en: "Connect to every member with mysql2 until the split shows: the majority Primary, the rest not.", zh: "用 mysql2 连接每个成员, 直到看到分裂: 多数为 Primary, 其余不是。" },
  fields: { members: members.optional(), service: serviceName.optional() },
  run: (ctx, s) => waitDegraded(ctx, s.members ?? replicasOf(ctx) - 1, s.timeout * 1000, s.service),
});
