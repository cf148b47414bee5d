import { z } from "zod";
import { defineWait } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { waitTaskLog } from "../task-log.js";

export default defineWait({
  name: "task-log",
  doc: "a log line of a task of `service` (default `mysql-galera`) matches the regex `pattern`",
  teach: { en: "Read the tasks' own container logs until Galera prints the line.", zh: "读取任务容器自己的日志, 直到 Galera 打印出这一行。" },
  fields: { pattern: z.string().min(1), service: serviceName.optional() },
  run: (ctx, s) => waitTaskLog(ctx, s.pattern, s.timeout * 1000, s.service),
});
