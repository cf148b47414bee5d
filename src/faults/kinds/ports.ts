import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { portRules } from "../grudge.js";
import { direction } from "./direction.js";

export const PORTS = ["7946/tcp", "7946/udp", "4789/udp", "2377/tcp", "4567/tcp", "4568/tcp", "4444/tcp", "3306/tcp"] as const;

export default defineFault({
  name: "ports",
  doc: "iptables DROP inside `host` for each port: 7946/tcp+udp (gossip), 4789/udp (VXLAN), 2377/tcp (raft), 4567/tcp (Galera), 4568/tcp (IST), 4444/tcp (SST), 3306/tcp (MySQL); `direction` in, out or both: one way is an asymmetric partition",
  fields: { host, ports: z.array(z.enum(PORTS)).min(1), direction },
  async apply(_ctx, s) {
    return { target: s.host, rules: portRules(s.host, s.ports, s.direction) };
  },
  describe: (s) => `ports ${s.host} ${s.ports.join(",")} (${s.direction})`,
});
