import { defineCheck } from "../../context/step-kinds.js";
import { checkHistory } from "../history.js";

export default defineCheck({
  name: "history",
  doc: "the write workload's history: no acknowledged write lost, every member holds the same rows",
  teach: { en: "Every acknowledged write of the workload is on every member, none twice, none invented.", zh: "负载中每个已确认的写入都在每个成员上, 无重复, 无凭空出现的行。" },
  fields: {},
  run: (ctx) => checkHistory(ctx),
});
