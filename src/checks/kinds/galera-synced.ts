import { defineWait } from "../../context/step-kinds.js";
import { members, serviceName } from "../../context/fields.js";
import { waitGaleraSynced } from "../conditions.js";
import { noteSynced } from "../../faults/recovery.js";

export default defineWait({
  name: "galera-synced",
  doc: "`members` Galera members (default 3) Synced in one Primary component of that size, one state UUID",
  fields: { members: members.optional(), service: serviceName.optional() },
  async run(ctx, s) {
    const n = s.members ?? 3;
    const view = await waitGaleraSynced(ctx, n, s.timeout * 1000, s.service);
    // Only the whole cluster counts as recovered (quorum-loss waits for one member first).
    if (n >= (ctx.tasksAtFault?.size ?? n)) noteSynced(ctx.recoveries, Date.now());
    return { members: view };
  },
});
