/**
 * Faults as data (Jepsen's grudge): which iptables rules a partition needs on which host. Pure, so
 * heal bookkeeping is exact: heal deletes precisely the rules that were added.
 */

export type Direction = "in" | "out" | "both";

export interface Rule {
  host: string;
  /** iptables arguments after -A/-D, e.g. ["INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP"] */
  spec: string[];
  /** A table other than filter (mangle for TEE). */
  table?: string;
  /** Inside the network namespace of this process (a task's), as the host sees its PID; default the host's own. */
  netnsPid?: number;
  /** What the rule is for, in reports (the task it is in). */
  note?: string;
}

/** The iptables command line that adds (-I) or deletes (-D) a rule, as the host runs it. */
export function iptablesArgv(rule: Rule, op: "add" | "delete"): string[] {
  // Every rule carries the comment "swarmlab": a sweep can find what the lab added (SSH hosts' down).
  const argv = ["iptables", "-w", "5", ...(rule.table ? ["-t", rule.table] : []), op === "add" ? "-I" : "-D", ...rule.spec, "-m", "comment", "--comment", "swarmlab"];
  return rule.netnsPid ? ["nsenter", "-t", String(rule.netnsPid), "-n", ...argv] : argv;
}

export function portRules(host: string, ports: string[], direction: Direction): Rule[] {
  const rules: Rule[] = [];
  for (const p of ports) {
    const [port, proto] = p.split("/");
    if (!port || !proto) throw new Error(`port "${p}" must look like 7946/tcp`);
    if (direction !== "out") rules.push({ host, spec: ["INPUT", "-p", proto, "--dport", port, "-j", "DROP"] });
    if (direction !== "in") rules.push({ host, spec: ["OUTPUT", "-p", proto, "--dport", port, "-j", "DROP"] });
  }
  return rules;
}

/** Cut `host` off from each address in `peers` (by address, on the lab bridge). */
export function isolateRules(host: string, peers: string[], direction: Direction): Rule[] {
  const rules: Rule[] = [];
  for (const addr of peers) {
    if (direction !== "out") rules.push({ host, spec: ["INPUT", "-s", addr, "-j", "DROP"] });
    if (direction !== "in") rules.push({ host, spec: ["OUTPUT", "-d", addr, "-j", "DROP"] });
  }
  return rules;
}

/** Split hosts into groups that cannot reach each other. */
export function splitRules(groups: string[][], addressOf: (h: string) => string, direction: Direction): Rule[] {
  const all = new Set<string>();
  for (const g of groups) for (const h of g) {
    if (all.has(h)) throw new Error(`host ${h} is in two groups`);
    all.add(h);
  }
  const rules: Rule[] = [];
  for (const g of groups) {
    const others = [...all].filter((h) => !g.includes(h)).map(addressOf);
    for (const h of g) rules.push(...isolateRules(h, others, direction));
  }
  return rules;
}

/** The rules still in place after removing `healed` from `active` (multiset semantics). */
export function remainingRules(active: Rule[], healed: Rule[]): Rule[] {
  const left = [...active];
  for (const h of healed) {
    const i = left.findIndex((r) => r.host === h.host && r.spec.join(" ") === h.spec.join(" "));
    if (i >= 0) left.splice(i, 1);
  }
  return left;
}
