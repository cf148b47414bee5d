import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import type { Host } from "../../hosts/host.js";
import { LabError } from "../../util/errors.js";
import type { Rule } from "../grudge.js";

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

/**
 * The path's limit as netfilter rules: VXLAN packets (udp/4789) longer than `mtu` bytes, to or from
 * the target, are dropped where they arrive, silently, as a smaller link on the way would drop
 * them. Only the overlay's packets: the hosts' own connections (raft, gossip, etcd, SSH) fit their
 * path as they would on a real one, where the hosts' interfaces carry the smaller MTU.
 */
export function blackHoleRules(target: { name: string; address: string }, others: readonly string[], mtu: number): Rule[] {
  const tooLong = ["-p", "udp", "--dport", "4789", "-m", "length", "--length", `${mtu + 1}:65535`, "-j", "DROP"];
  return [{ host: target.name, spec: ["INPUT", ...tooLong] }, ...others.map((h) => ({ host: h, spec: ["INPUT", "-s", target.address, ...tooLong] }))];
}

export default defineFault({
  name: "mtu",
  doc:
    "the path to and from `host` carries at most `mtu` bytes (VXLAN needs the overlay's 1450 + 50): longer VXLAN packets vanish without an error, as on a VPN or tunnel that carries less, with the hosts' segmentation offloads off so every packet has its real size; a black hole for SST and big write sets, while small packets pass; heal restores both",
  fields: { host, mtu: z.number().int().min(576).max(1499).describe("576-1499 bytes (below the link's 1500)") },
  async apply(ctx, s) {
    const h = ctx.lab.host(s.host);
    const live = await ctx.lab.liveNodes();
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
      for (const other of live) restored.push(await offloadsOff(other, await labInterface(other)));
    } catch (e) {
      await undoOffloads();
      throw e;
    }
    return {
      target: s.host,
      rules: blackHoleRules(h, live.filter((x) => x.name !== h.name).map((x) => x.name), s.mtu),
      details: { mtu: s.mtu, dropped: `udp/4789 longer than ${s.mtu} bytes, to and from ${s.host}`, offloadsOff: restored.map((r) => `${r.host.name} ${r.dev}`) },
      undo: undoOffloads,
    };
  },
  describe: (s) => `mtu ${s.host} ${s.mtu}`,
});
