import { z } from "zod";
import { defineFault, type FaultEffect } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import type { RunContext } from "../../context/run-context.js";
import type { Rule } from "../grudge.js";
import { allocateQueue, startDelayer } from "../delayer.js";
import { PORTS } from "./ports.js";

const percent = z.number().gt(0).max(100).describe("percent, above 0 up to 100");

/** Does this host's kernel have netem (tc)? Asked by adding and removing a no-op qdisc. */
async function hasNetem(ctx: RunContext, hostName: string, dev: string): Promise<boolean> {
  const h = ctx.lab.host(hostName);
  const r = await h.exec(["tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "netem", "delay", "0ms"], { allowFailure: true, timeoutMs: 10_000 });
  if (r.exitCode !== 0) return false;
  await h.exec(["tc", "qdisc", "del", "dev", dev, "root"], { allowFailure: true, timeoutMs: 10_000 });
  return true;
}

type LinkSpec = {
  host: string;
  delay_ms?: number;
  jitter_ms?: number;
  loss?: number;
  duplicate?: number;
  corrupt?: number;
  rate_kbit?: number;
  peers?: string[];
  ports?: string[];
};

/** Match arguments for packets from one peer (and one port, either end, when given). */
function fromPeer(peer: string, port?: string): string[] {
  if (!port) return ["-s", peer];
  const [p, proto] = port.split("/");
  return ["-s", peer, "-p", proto!, "-m", "multiport", "--ports", p!];
}

/**
 * The netfilter route (no netem). Everything but duplication acts on packets arriving at the host
 * from its peers, in the raw table before connection tracking: a queued packet that a local socket
 * sent would still count against that socket and throttle TCP to a crawl (measured: 38 KB/s at
 * 100 ms on OUTPUT, 22 MB/s on PREROUTING), which netem's egress queue does not do. A round trip
 * through the host is slowed the same either way. Loss: `statistic`; rate: `hashlimit` (bytes per
 * second per peer); delay, jitter, corruption: the NFQUEUE delayer; duplication: `TEE` (a copy of
 * what the host sends to the peer).
 */
async function netfilterRoute(ctx: RunContext, s: LinkSpec, peers: string[]): Promise<FaultEffect> {
  const rules: Rule[] = [];
  const selectors = peers.flatMap((peer) => (s.ports?.length ? s.ports.map((p) => fromPeer(peer, p)) : [fromPeer(peer)]));
  const used: string[] = [];
  const raw = (m: string[], target: string[]) => rules.push({ host: s.host, table: "raw", spec: ["PREROUTING", ...m, ...target] });
  if (s.loss) {
    used.push(`loss ${s.loss}% (statistic, arriving)`);
    for (const m of selectors) raw(m, ["-m", "statistic", "--mode", "random", "--probability", String(s.loss / 100), "-j", "DROP"]);
  }
  if (s.rate_kbit) {
    // hashlimit counts bytes in kb (1024): kbit/s * 1000 / 8 bytes; one bucket per peer. Its burst
    // must not be below the rate as iptables rounds it (up to ~0.2 % more, measured): 0.5 % over.
    const kb = Math.max(1, Math.round((s.rate_kbit * 1000) / 8 / 1024));
    const [rate, burst] = [`${kb}kb/s`, `${kb + Math.ceil(kb / 200) + 1}kb`];
    used.push(`rate ${s.rate_kbit} kbit/s (hashlimit, arriving)`);
    const name = `swl${allocateQueue()}`;
    for (const m of selectors) raw(m, ["-m", "hashlimit", "--hashlimit-above", rate, "--hashlimit-burst", burst, "--hashlimit-mode", "srcip", "--hashlimit-name", name, "-j", "DROP"]);
  }
  if (s.duplicate) {
    used.push(`duplicate ${s.duplicate}% (TEE, leaving)`);
    for (const peer of peers) {
      const ports = s.ports?.length ? s.ports : [undefined];
      for (const port of ports) {
        const [p, proto] = port?.split("/") ?? [];
        const m = port ? ["-d", peer, "-p", proto!, "-m", "multiport", "--ports", p!] : ["-d", peer];
        rules.push({ host: s.host, table: "mangle", spec: ["POSTROUTING", ...m, "-m", "statistic", "--mode", "random", "--probability", String(s.duplicate / 100), "-j", "TEE", "--gateway", peer] });
      }
    }
  }
  let undo: FaultEffect["undo"];
  if (s.delay_ms || s.jitter_ms || s.corrupt) {
    const queue = allocateQueue();
    used.push(`${s.delay_ms || s.jitter_ms ? `delay ${s.delay_ms ?? 0}±${s.jitter_ms ?? 0} ms` : ""}${s.corrupt ? ` corrupt ${s.corrupt}%` : ""} (NFQUEUE ${queue} + nfq-delay, arriving)`.trim());
    const delayer = await startDelayer(ctx.lab.host(s.host), { queue, delayMs: s.delay_ms ?? 0, jitterMs: s.jitter_ms, corruptPercent: s.corrupt });
    // --queue-bypass lets packets through if the delayer is gone.
    for (const m of selectors) raw(m, ["-j", "NFQUEUE", "--queue-num", String(queue), "--queue-bypass"]);
    undo = async () => [await delayer.stop()];
  }
  // Each rule is inserted at the top (-I): reverse, so loss and rate drop before the queue holds.
  rules.reverse();
  return { target: s.host, rules, undo, route: `netfilter (this kernel has no netem): ${used.join(", ")}` };
}

/** The netem route: one qdisc on the host's lab link (all of its egress; peers and ports need the netfilter route). */
async function netemRoute(ctx: RunContext, s: LinkSpec, dev: string): Promise<FaultEffect> {
  const h = ctx.lab.host(s.host);
  const args = ["tc", "qdisc", "add", "dev", dev, "root", "netem"];
  if (s.delay_ms || s.jitter_ms) args.push("delay", `${s.delay_ms ?? 0}ms`, ...(s.jitter_ms ? [`${s.jitter_ms}ms`] : []));
  if (s.loss) args.push("loss", `${s.loss}%`);
  if (s.duplicate) args.push("duplicate", `${s.duplicate}%`);
  if (s.corrupt) args.push("corrupt", `${s.corrupt}%`);
  if (s.rate_kbit) args.push("rate", `${s.rate_kbit}kbit`);
  await h.exec(args, { timeoutMs: 15_000 });
  return {
    target: s.host,
    route: `tc netem on ${dev}: ${args.slice(7).join(" ")}`,
    undo: async () => {
      await h.exec(["tc", "qdisc", "del", "dev", dev, "root"], { timeoutMs: 15_000 });
      return [`${s.host}: tc qdisc del dev ${dev} root`];
    },
  };
}

export default defineFault({
  name: "link",
  doc: "a slow or lossy link at `host`, with every other host or only `peers`, on all traffic or only `ports`: `delay_ms` ± `jitter_ms`, `loss`, `duplicate`, `corrupt` (percent), `rate_kbit`. tc netem where the kernel has it, else netfilter (statistic, hashlimit, TEE, an NFQUEUE delayer); the step reports the route",
  fields: {
    host,
    delay_ms: z.number().int().min(0).max(60_000).optional().describe("0-60000 ms"),
    jitter_ms: z.number().int().min(0).max(60_000).optional().describe("0-60000 ms"),
    loss: percent.optional(),
    duplicate: percent.optional(),
    corrupt: percent.optional(),
    rate_kbit: z.number().int().min(8).max(1_000_000).optional().describe("8-1000000 kbit/s"),
    peers: z.array(host).min(1).optional(),
    ports: z.array(z.enum(PORTS)).min(1).optional(),
  },
  check(s) {
    const problems: Array<{ field: string; message: string }> = [];
    if (![s.delay_ms, s.jitter_ms, s.loss, s.duplicate, s.corrupt, s.rate_kbit].some((v) => v)) {
      problems.push({ field: "kind", message: "a link fault needs at least one of delay_ms, jitter_ms, loss, duplicate, corrupt, rate_kbit" });
    }
    if (s.jitter_ms && s.delay_ms !== undefined && s.jitter_ms > s.delay_ms) problems.push({ field: "jitter_ms", message: `${s.jitter_ms} is more than delay_ms ${s.delay_ms}: a packet cannot leave before it was sent` });
    if (s.peers?.includes(s.host)) problems.push({ field: "peers", message: `"${s.host}" is the faulty host itself` });
    return problems;
  },
  async apply(ctx, s) {
    const others = ctx.lab.nodes.filter((n) => n.name !== s.host && (!s.peers || s.peers.includes(n.name)));
    const h = ctx.lab.host(s.host);
    const dev = (await h.sh(`ip -o -4 addr show | awk '$4 ~ /^${h.address.replace(/\./g, "\\.")}\\// {print $2}'`, { timeoutMs: 10_000 })).stdout.trim() || "eth0";
    if (!s.peers && !s.ports && (await hasNetem(ctx, s.host, dev))) return netemRoute(ctx, s, dev);
    return netfilterRoute(ctx, s, others.map((n) => n.address));
  },
  describe: (s) =>
    `link ${s.host}${s.peers ? `->${s.peers.join("+")}` : ""}${s.ports ? ` ${s.ports.join(",")}` : ""}: ${[
      s.delay_ms !== undefined || s.jitter_ms ? `delay ${s.delay_ms ?? 0}±${s.jitter_ms ?? 0}ms` : "",
      s.loss ? `loss ${s.loss}%` : "",
      s.duplicate ? `dup ${s.duplicate}%` : "",
      s.corrupt ? `corrupt ${s.corrupt}%` : "",
      s.rate_kbit ? `rate ${s.rate_kbit}kbit` : "",
    ]
      .filter(Boolean)
      .join(" ")}`,
});
