import { defineWait } from "../../context/step-kinds.js";
import { replicasOf } from "../../context/run-context.js";
import { members, serviceName } from "../../context/fields.js";
import { waitGaleraSynced } from "../conditions.js";
import { noteSynced } from "../../faults/recovery.js";
import { GALERA_SERVICE } from "../galera.js";

export default defineWait({
  name: "galera-synced",
  doc: "`members` Galera members (default ${REPLICAS}, 3 in the walkthrough's lab) Synced in one Primary component of that size, one state UUID",
  teach: { en: "Connect to every member with mysql2 until all are Synced in one Primary component of the expected size.", zh: "用 mysql2 连接每个成员, 直到全部 Synced 且在同一个 Primary 组件中。" },
  fields: { members: members.optional(), service: serviceName.optional() },
  async run(ctx, s) {
    const n = s.members ?? replicasOf(ctx);
    const view = await waitGaleraSynced(ctx, n, s.timeout * 1000, s.service);
    // Only the whole cluster counts as recovered (quorum-loss waits for one member first).
    if (n >= (ctx.membersAtFault ?? n)) noteSynced(ctx.recoveries, Date.now(), s.service ?? GALERA_SERVICE);
    return { members: view };
  },
});
