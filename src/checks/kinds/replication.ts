import { defineCheck } from "../../context/step-kinds.js";
import { checkReplication } from "../conditions.js";

export default defineCheck({
  name: "replication",
  doc: "a row written through one member is read back from every other",
  teach: { en: "A row written through one member is read back from the others.", zh: "通过一个成员写入一行, 在其他成员上读回。" },
  fields: {},
  run: (ctx) => checkReplication(ctx),
});
