import { defineCheck } from "../../context/step-kinds.js";
import { replicasOf } from "../../context/run-context.js";
import { members, serviceName } from "../../context/fields.js";
import { checkGaleraHealth } from "../conditions.js";

export default defineCheck({
  name: "galera-health",
  doc: "`members` members (default ${REPLICAS}, 3 in the walkthrough's lab), each Primary, Synced, ready, of that cluster size, one state UUID",
  teach: { en: "Every member: cluster size, Primary, Synced, ready, one state UUID (through mysql2).", zh: "每个成员: 集群大小, Primary, Synced, ready, 同一个状态 UUID (通过 mysql2)。" },
  fields: { members: members.optional(), service: serviceName.optional() },
  run: (ctx, s) => checkGaleraHealth(ctx, s.members ?? replicasOf(ctx), s.service),
});
