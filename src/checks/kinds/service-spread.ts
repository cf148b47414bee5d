import { defineCheck } from "../../context/step-kinds.js";
import { replicasOf } from "../../context/run-context.js";
import { members, serviceName } from "../../context/fields.js";
import { checkServiceSpread } from "../conditions.js";

export default defineCheck({
  name: "service-spread",
  doc: "`members` running tasks (default ${REPLICAS}) of `service` on as many different hosts (all of them when there are more tasks than hosts), and `docker service ls` says n/n",
  teach: { en: "Three running tasks on three different hosts, and `docker service ls` says 3/3.", zh: "三个任务运行在三台不同的主机上, docker service ls 显示 3/3。" },
  fields: { members: members.optional(), service: serviceName.optional() },
  run: (ctx, s) => checkServiceSpread(ctx, s.members ?? replicasOf(ctx), s.service),
});
