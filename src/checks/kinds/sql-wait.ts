import { defineWait } from "../../context/step-kinds.js";
import { probeSql } from "../probes.js";
import { sqlFields } from "./probe-fields.js";
import { waitFor } from "../../util/wait.js";

export default defineWait({
  name: "sql",
  doc: "`query` on every running task of `service` answers a value matching `expect`; tried every second",
  fields: sqlFields,
  run: (ctx, s) => waitFor(`${s.query} on ${s.service} to answer /${s.expect ?? ".*"}/`, () => probeSql(ctx, s), () => true, { timeoutMs: s.timeout * 1000, intervalMs: 1000, signal: ctx.signal }),
});
