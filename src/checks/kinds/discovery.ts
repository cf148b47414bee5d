import { z } from "zod";
import { defineCheck } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { checkDiscovery } from "../conditions.js";

export default defineCheck({
  name: "discovery",
  doc: "the cluster addresses the tasks of `service` were given by their discovery, judged `verdict: valid` or `invalid`",
  teach: { en: "The cluster address each task's discovery chose, judged like wsrep_cluster_address.", zh: "每个任务的发现逻辑选出的集群地址, 按 wsrep_cluster_address 的规则判断。" },
  fields: { service: serviceName.optional(), verdict: z.enum(["valid", "invalid"]).optional() },
  run: (ctx, s) => checkDiscovery(ctx, s.service ?? "mysql-galera", s.verdict ?? "valid"),
});
