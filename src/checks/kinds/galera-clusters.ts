import { z } from "zod";
import { defineCheck } from "../../context/step-kinds.js";
import { serviceName } from "../../context/fields.js";
import { galeraView } from "../conditions.js";
import { LabError } from "../../util/errors.js";

/**
 * How many separate Galera clusters the running members of a service form: members that agree on
 * wsrep_cluster_state_uuid are one. Catches a split brain that every member's own view hides (each
 * says Primary, Synced: of a cluster of one).
 */
export default defineCheck({
  name: "galera-clusters",
  doc: "the running members of `service` form exactly `clusters` separate clusters (by wsrep_cluster_state_uuid); more than one is a split brain each member's own Primary/Synced hides",
  fields: { service: serviceName.optional(), clusters: z.number().int().min(1).max(9).describe("1-9") },
  async run(ctx, s) {
    const view = await galeraView(ctx, s.service);
    const groups = new Map<string, string[]>();
    for (const m of view) {
      if (m.error || !m.uuid) throw new LabError(`${m.member} did not answer: ${m.error ?? "no state UUID"}`);
      groups.set(m.uuid, [...(groups.get(m.uuid) ?? []), `${m.member} (${m.status}/${m.state}, size ${m.size})`]);
    }
    const clusters = [...groups.entries()].map(([uuid, members]) => ({ uuid, members }));
    if (clusters.length !== s.clusters) {
      throw new LabError(`${clusters.length} cluster(s), expected ${s.clusters}: ${clusters.map((c) => `${c.uuid.slice(0, 8)}: ${c.members.join(", ")}`).join(" | ")}`);
    }
    return { clusters };
  },
});
