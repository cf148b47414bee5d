import { defineCheck } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { checkNoAddressExplained } from "../task-log.js";

export default defineCheck({
  name: "no-address-explained",
  doc: "Galera's \"131: No address to connect\" in a task's log, explained by Galera's own rules from the cluster address that task was given",
  teach: { en: "Which of Galera's rules removed each address it was given, read from the task's own log.", zh: "从任务日志中读出 Galera 的哪条规则移除了每个地址。" },
  fields: { service: serviceName.optional() },
  run: (ctx, s) => checkNoAddressExplained(ctx, s.service),
});
