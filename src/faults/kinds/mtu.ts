import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { LabError } from "../../util/errors.js";

/** The host's interface on the lab bridge: the one that holds its lab address. */
async function labInterface(h: { sh: (c: string, o?: object) => Promise<{ stdout: string }>; address: string; name: string }): Promise<string> {
  const r = await h.sh("ip -o -4 addr show", { timeoutMs: 15_000 });
  const line = r.stdout.split("\n").find((l) => l.includes(` ${h.address}/`));
  const dev = line?.split(/\s+/)[1];
  if (!dev) throw new LabError(`no interface with ${h.address} on ${h.name}:\n${r.stdout}`);
  return dev.replace(/@.*/, "");
}

export default defineFault({
  name: "mtu",
  doc: "lowers the MTU of `host`'s link to `mtu` (VXLAN needs the overlay's 1450 + 50): small packets pass, larger ones arriving at it vanish, a black hole for SST and big write sets; heal restores it",
  fields: { host, mtu: z.number().int().min(576).max(1499).describe("576-1499 bytes (below the link's 1500)") },
  async apply(ctx, s) {
    const h = ctx.lab.host(s.host);
    const dev = await labInterface(h);
    const before = Number((await h.exec(["cat", `/sys/class/net/${dev}/mtu`], { timeoutMs: 15_000 })).stdout.trim());
    if (s.mtu >= before) throw new LabError(`mtu ${s.mtu} is not below ${s.host}'s ${dev} MTU ${before}: nothing would be lost`);
    await h.exec(["ip", "link", "set", "dev", dev, "mtu", String(s.mtu)], { timeoutMs: 15_000 });
    return {
      target: s.host,
      details: { interface: dev, mtuBefore: before, mtu: s.mtu },
      undo: async () => {
        await h.exec(["ip", "link", "set", "dev", dev, "mtu", String(before)], { timeoutMs: 15_000 });
        return [`${s.host}: ip link set dev ${dev} mtu ${before}`];
      },
    };
  },
  describe: (s) => `mtu ${s.host} ${s.mtu}`,
});
