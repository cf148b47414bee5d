import { defineCheck } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { checkNoAddressExplained } from "../task-log.js";

export default defineCheck({
  name: "no-address-explained",
  doc: "Galera's \"131: No address to connect\" in a task's log, explained by Galera's own rules from the cluster address that task was given",
  fields: { service: serviceName.optional() },
  run: (ctx, s) => checkNoAddressExplained(ctx, s.service),
});
