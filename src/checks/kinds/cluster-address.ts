import { defineCheck } from "../../context/step-kinds.js";
import { checkClusterAddresses } from "../conditions.js";
import { serviceName } from "../../context/fields.js";

export default defineCheck({
  name: "cluster-address",
  doc: "every member's wsrep_cluster_address names current task addresses on mynet: no duplicate, no ingress or gwbridge address, not only itself (after a fault, only members started since)",
  teach: { en: "Every member's wsrep_cluster_address: current overlay addresses, no duplicates, no ingress address.", zh: "每个成员的 wsrep_cluster_address: 当前的 overlay 地址, 无重复, 无 ingress 地址。" },
  fields: { service: serviceName.optional() },
  run: (ctx, s) => checkClusterAddresses(ctx, ctx.tasksAtFault !== undefined, s.service),
});
