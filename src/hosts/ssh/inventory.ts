/**
 * An inventory: the real machines (or VMs) a lab runs on, reached over SSH. The walkthrough's
 * docker1..3 map to machines; each says how to reach it and, optionally, how to power it.
 * Nothing runs unless it says `lab: true`: these are someone's machines.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, type Node } from "yaml";
import { z } from "zod";
import { problemsOf, FileProblemsError as ScenarioError } from "../../util/problems.js";

/** Shell commands that power a machine's engine; defaults are for systemd machines. */
const power = z
  .object({
    stop: z.string().min(1).optional(),
    kill: z.string().min(1).optional(),
    pause: z.string().min(1).optional(),
    resume: z.string().min(1).optional(),
    start: z.string().min(1).optional(),
  })
  .strict();

const hostEntry = z
  .object({
    /** The walkthrough's name this machine stands for: docker1, docker2, docker3. */
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and -"),
    address: z.string().ip({ version: "v4" }),
    /** As swarm will show it (`hostname` on the machine when not given). */
    hostname: z.string().optional(),
    ssh: z
      .object({
        user: z.string().min(1).default("root"),
        port: z.number().int().min(1).max(65535).default(22),
        /** A private key file (relative to the inventory). */
        key: z.string().min(1),
        /** Prefix root's commands with `sudo -n` (default: when user is not root). */
        sudo: z.boolean().optional(),
      })
      .strict(),
    power: power.optional(),
    /** How to read the engine's log (default: journalctl -u docker, else /var/log/dockerd.log). */
    logs: z.string().optional(),
  })
  .strict();

export const inventorySchema = z
  .object({
    /** Must be true: the machines may be changed, swarm made and left, faults injected. */
    lab: z.literal(true),
    hosts: z.array(hostEntry).min(1).max(9),
  })
  .strict();

export type InventoryHost = z.infer<typeof hostEntry> & { keyFile: string };
export interface Inventory {
  file: string;
  hosts: InventoryHost[];
}

/** systemd machines: what `stop`, `kill`, `pause`... do when the inventory does not say. */
export const SYSTEMD_POWER: Required<z.infer<typeof power>> = {
  stop: "systemctl stop docker.socket docker containerd",
  // Every process of the engine: dockerd, containerd, the shims and the containers' own scopes.
  kill: "systemctl kill -s KILL docker containerd; for u in $(systemctl list-units --plain --no-legend 'docker-*.scope' | awk '{print $1}'); do systemctl kill -s KILL \"$u\"; done",
  pause: "systemctl kill -s STOP docker containerd; for u in $(systemctl list-units --plain --no-legend 'docker-*.scope' | awk '{print $1}'); do systemctl kill -s STOP \"$u\"; done",
  resume: "for u in $(systemctl list-units --plain --no-legend 'docker-*.scope' | awk '{print $1}'); do systemctl kill -s CONT \"$u\"; done; systemctl kill -s CONT docker containerd",
  // A killed engine leaves its network namespaces mounted; restarted on top of them its overlays
  // clash and swarm's DNS loses records (seen on the stand-in machines): clear them first.
  start: "pgrep -x dockerd >/dev/null || { for ns in /var/run/docker/netns/*; do [ -e \"$ns\" ] && umount \"$ns\" 2>/dev/null; rm -f \"$ns\"; done; systemctl start docker; }",
};

function nodeAt(doc: ReturnType<typeof parseDocument>, path: Array<string | number>): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && (isMap(node) || isSeq(node) || (node as Node).range)) return node;
  }
  return undefined;
}

/** Reads and checks an inventory; every problem at once, each with file:line, before anything is touched. */
export function loadInventory(file: string, allowedNames?: readonly string[]): Inventory {
  if (!existsSync(file)) throw new ScenarioError(file, [{ line: 0, path: "", message: "no such inventory file" }]);
  const text = readFileSync(file, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const raw = doc.toJS() as unknown;
  const r = inventorySchema.safeParse(raw);
  const problems = r.success ? [] : problemsOf(r.error, raw, [], Object.keys(inventorySchema.shape));
  const line = (p: Array<string | number>) => {
    const n = nodeAt(doc, p);
    return n?.range ? lc.linePos(n.range[0]).line : 1;
  };
  const out: Array<{ line: number; path: string; message: string }> = problems.map((p) => ({
    line: line(p.path),
    path: p.path.join("."),
    message: p.path[0] === "lab" ? `${p.message}: the inventory must say \`lab: true\` (these machines will be changed)` : p.message,
  }));
  const hosts: InventoryHost[] = [];
  if (r.success) {
    const seen = new Map<string, number>();
    r.data.hosts.forEach((h, i) => {
      const keyFile = resolve(dirname(file), h.ssh.key);
      if (!existsSync(keyFile)) out.push({ line: line(["hosts", i, "ssh", "key"]), path: `hosts.${i}.ssh.key`, message: `${JSON.stringify(h.ssh.key)} does not exist (looked for ${keyFile})` });
      if (allowedNames && !allowedNames.includes(h.name)) out.push({ line: line(["hosts", i, "name"]), path: `hosts.${i}.name`, message: `"${h.name}" is not a host of the walkthrough (${allowedNames.join(", ")})` });
      if (seen.has(h.name)) out.push({ line: line(["hosts", i, "name"]), path: `hosts.${i}.name`, message: `"${h.name}" is listed twice` });
      seen.set(h.name, i);
      hosts.push({ ...h, keyFile });
    });
    for (const n of allowedNames ?? []) if (!seen.has(n)) out.push({ line: line(["hosts"]), path: "hosts", message: `no machine for ${n} (each of ${allowedNames!.join(", ")} needs one)` });
  }
  if (out.length) throw new ScenarioError(file, out);
  return { file, hosts };
}
