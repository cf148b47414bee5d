import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { splitRules } from "../grudge.js";
import { direction } from "./direction.js";

export default defineFault({
  name: "split",
  doc: "cuts the lab into `groups` (lists of hosts) that cannot reach each other",
  fields: { groups: z.array(z.array(host).min(1)).min(2), direction },
  takesHostOut: true,
  async apply(ctx, s) {
    return { rules: splitRules(s.groups, (h) => ctx.lab.host(h).address, s.direction), details: { groups: s.groups } };
  },
  describe: (s) => `split ${s.groups.map((g) => g.join("+")).join(" | ")} (${s.direction})`,
});
