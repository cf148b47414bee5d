import { defineCheck } from "../../context/step-kinds.js";
import { probeSql } from "../probes.js";
import { sqlFields } from "./probe-fields.js";

export default defineCheck({
  name: "sql",
  doc: "`query` on every running task of the MySQL-protocol `service` (login `user`/`password`, default root and the service's own MYSQL_ROOT_PASSWORD): each first value matches the regex `expect`; `members`: how many tasks must answer",
  fields: sqlFields,
  run: (ctx, s) => probeSql(ctx, s),
});
