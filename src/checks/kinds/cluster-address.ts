import { defineCheck } from "../../context/step-kinds.js";
import { checkClusterAddresses } from "../conditions.js";

export default defineCheck({
  name: "cluster-address",
  doc: "every member's wsrep_cluster_address names current task addresses on mynet: no duplicate, no ingress or gwbridge address, not only itself (after a fault, only members started since)",
  fields: {},
  run: (ctx) => checkClusterAddresses(ctx, ctx.tasksAtFault !== undefined),
});
