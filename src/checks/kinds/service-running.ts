import { defineWait } from "../../context/step-kinds.js";
import { replicasOf } from "../../context/run-context.js";
import { members, serviceName } from "../../context/fields.js";
import { waitServiceRunning } from "../conditions.js";

export default defineWait({
  name: "service-running",
  doc: "the service (default `mysql-galera`) exists and has `members` running tasks (default ${REPLICAS})",
  teach: { en: "Ask swarm until the service's tasks are running.", zh: "等待服务的任务处于运行状态。" },
  fields: { service: serviceName.optional(), members: members.optional() },
  run: async (ctx, s) => ({ tasks: (await waitServiceRunning(ctx, s.members ?? replicasOf(ctx), s.timeout * 1000, s.service)).length }),
});
