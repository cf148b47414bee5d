import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import type { Host } from "../../hosts/host.js";
import { LabError } from "../../util/errors.js";

/** The host's interface on the lab bridge: the one that holds its lab address. */
async function labInterface(h: Host): Promise<string> {
  const r = await h.sh("ip -o -4 addr show", { timeoutMs: 15_000 });
  const line = r.stdout.split("\n").find((l) => l.includes(` ${h.address}/`));
  const dev = line?.split(/\s+/)[1];
  if (!dev) throw new LabError(`no interface with ${h.address} on ${h.name}:\n${r.stdout}`);
  return dev.replace(/@.*/, "");
}

/**
 * The segmentation offloads that let a sender hand its interface one large VXLAN packet that is
 * cut into wire-size packets only on a real NIC. Between veths nothing cuts it, and a veth accepts
 * an offloaded packet whatever its MTU: with these on, a lowered MTU drops pings but never TCP.
 * Off, the sender's kernel segments before the interface and every packet is held to the MTU.
 */
export const SEGMENTATION_OFFLOADS = ["tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation", "generic-segmentation-offload", "tcp-segmentation-offload"] as const;

/** `ethtool -k` output → the state (on/off) of each offload named, those the interface lists. */
export function parseOffloads(text: string, names: readonly string[] = SEGMENTATION_OFFLOADS): Record<string, "on" | "off"> {
  const out: Record<string, "on" | "off"> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([a-z0-9_-]+):\s+(on|off)\b/.exec(line);
    if (m && names.includes(m[1]!)) out[m[1]!] = m[2] as "on" | "off";
  }
  return out;
}

/** Turns the offloads off on one host's lab interface; returns what to set back. */
async function offloadsOff(h: Host, dev: string): Promise<{ host: Host; dev: string; before: Record<string, "on" | "off"> }> {
  const k = await h.sh(`ethtool -k ${dev}`, { timeoutMs: 15_000, allowFailure: true });
  if (k.exitCode !== 0) {
    throw new LabError(`ethtool -k ${dev} failed on ${h.name} (exit ${k.exitCode}): ${(k.stderr || k.stdout).trim()}`, {
      hint: "the mtu fault needs ethtool on every host (Debian: apt-get install ethtool) to turn segmentation offloads off",
    });
  }
  const before = parseOffloads(k.stdout);
  const on = Object.keys(before).filter((f) => before[f] === "on");
  // One feature per call: ethtool refuses a whole list when one of them is fixed on this driver.
  for (const f of on) await h.sh(`ethtool -K ${dev} ${f} off`, { timeoutMs: 15_000, allowFailure: true });
  const after = parseOffloads((await h.sh(`ethtool -k ${dev}`, { timeoutMs: 15_000 })).stdout);
  if (after["tx-udp_tnl-segmentation"] === "on") throw new LabError(`${h.name}: ethtool could not turn tx-udp_tnl-segmentation off on ${dev}: its VXLAN packets would not be held to the MTU`);
  return { host: h, dev, before };
}

export default defineFault({
  name: "mtu",
  doc:
    "lowers the MTU of `host`'s link to `mtu` (VXLAN needs the overlay's 1450 + 50) and turns the hosts' segmentation offloads off, so full-size packets arriving at it vanish without an error, as on a VPN or tunnel that carries less: a black hole for SST and big write sets; heal restores both",
  fields: { host, mtu: z.number().int().min(576).max(1499).describe("576-1499 bytes (below the link's 1500)") },
  async apply(ctx, s) {
    const h = ctx.lab.host(s.host);
    const dev = await labInterface(h);
    const before = Number((await h.exec(["cat", `/sys/class/net/${dev}/mtu`], { timeoutMs: 15_000 })).stdout.trim());
    if (s.mtu >= before) throw new LabError(`mtu ${s.mtu} is not below ${s.host}'s ${dev} MTU ${before}: nothing would be lost`);
    const restored: Awaited<ReturnType<typeof offloadsOff>>[] = [];
    const undoOffloads = async (): Promise<string[]> => {
      const said: string[] = [];
      for (const r of restored) {
        const on = Object.keys(r.before).filter((f) => r.before[f] === "on");
        for (const f of on) await r.host.sh(`ethtool -K ${r.dev} ${f} on`, { timeoutMs: 15_000, allowFailure: true });
        if (on.length) said.push(`${r.host.name}: ethtool -K ${r.dev} ${on.join(" on ")} on`);
      }
      return said;
    };
    try {
      for (const other of await ctx.lab.liveNodes()) restored.push(await offloadsOff(other, await labInterface(other)));
    } catch (e) {
      await undoOffloads();
      throw e;
    }
    await h.exec(["ip", "link", "set", "dev", dev, "mtu", String(s.mtu)], { timeoutMs: 15_000 });
    return {
      target: s.host,
      details: { interface: dev, mtuBefore: before, mtu: s.mtu, offloadsOff: restored.map((r) => r.host.name) },
      undo: async () => {
        await h.exec(["ip", "link", "set", "dev", dev, "mtu", String(before)], { timeoutMs: 15_000 });
        return [`${s.host}: ip link set dev ${dev} mtu ${before}`, ...(await undoOffloads())];
      },
    };
  },
  describe: (s) => `mtu ${s.host} ${s.mtu}`,
});
