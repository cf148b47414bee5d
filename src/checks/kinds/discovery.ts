import { z } from "zod";
import { defineCheck } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { checkDiscovery } from "../conditions.js";

export default defineCheck({
  name: "discovery",
  doc: "the cluster addresses the tasks of `service` were given by their discovery, judged `verdict: valid` or `invalid`",
  fields: { service: serviceName.optional(), verdict: z.enum(["valid", "invalid"]).optional() },
  run: (ctx, s) => checkDiscovery(ctx, s.service ?? "mysql-galera", s.verdict ?? "valid"),
});
