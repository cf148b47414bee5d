import { z } from "zod";
import { defineCheck } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { checkTaskLog } from "../task-log.js";

export default defineCheck({
  name: "task-log",
  doc: "some task of `service` (default `mysql-galera`) logged a line matching the regex `pattern`",
  teach: { en: "Read the tasks' own container logs until Galera prints the line.", zh: "读取任务容器自己的日志, 直到 Galera 打印出这一行。" },
  fields: { pattern: z.string().min(1), service: serviceName.optional() },
  run: (ctx, s) => checkTaskLog(ctx, s.pattern, s.service),
});
