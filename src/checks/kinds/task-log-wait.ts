import { z } from "zod";
import { defineWait } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { waitTaskLog } from "../task-log.js";

export default defineWait({
  name: "task-log",
  doc: "a log line of a task of `service` (default `mysql-galera`) matches the regex `pattern`",
  fields: { pattern: z.string().min(1), service: serviceName.optional() },
  run: (ctx, s) => waitTaskLog(ctx, s.pattern, s.timeout * 1000, s.service),
});
