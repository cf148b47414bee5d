/** What a step found (members, recovery, nodes, addresses) as short lines, for walk and summary.md. Pure. */

/** A short line for what a wait, check, fault or heal found (members, recovery, nodes). */
export function summariseDetails(details: Record<string, unknown> | undefined): string[] {
  if (!details) return [];
  const out: string[] = [];
  const members = details.members as Array<Record<string, unknown>> | undefined;
  if (Array.isArray(members)) {
    for (const m of members) {
      if (typeof m.member !== "string") continue;
      if (m.status === undefined && !m.error) {
        // cluster-address: the address and what is wrong with it
        const problems = (m.problems as string[] | undefined) ?? [];
        out.push(`${m.member} (${m.self ?? "?"}): ${m.clusterAddress}${problems.length ? `  ✗ ${problems.join("; ")}` : "  ✓"}`);
      } else {
        out.push(`${m.member}: ${m.error ? `unreachable (${m.error})` : `${m.status}/${m.state}, size ${m.size}`}${m.clusterAddress ? `, ${m.clusterAddress}` : ""}`);
      }
    }
  }
  for (const key of ["faultVisibleSeconds", "leader", "formerLeader", "target"]) {
    if (details[key] !== undefined) out.push(`${key}: ${String(details[key])}`);
  }
  const swarm = details.swarm as { nodes?: string; tasks?: string[] } | string | undefined;
  if (typeof swarm === "string") out.push(`swarm: ${swarm}`);
  else if (swarm?.nodes) out.push(`swarm: ${swarm.nodes}${swarm.tasks ? ` · tasks ${swarm.tasks.join(" ")}` : ""}`);
  const decisions = details.decisions as Array<Record<string, unknown>> | undefined;
  if (Array.isArray(decisions)) for (const d of decisions) out.push(`${d.host}: own ${d.own} → ${d.kind} ${d.clusterAddress}${(d.problems as string[] | undefined)?.length ? `  ✗ ${(d.problems as string[]).join("; ")}` : ""}`);
  const tasks = details.tasks as Array<Record<string, unknown>> | undefined;
  if (Array.isArray(tasks)) {
    for (const t of tasks) {
      if (Array.isArray(t.entries)) out.push(`${t.host}: ${t.clusterAddress} → ${(t.entries as Array<{ entry: string; rule?: string }>).map((e) => `"${e.entry}": ${e.rule ?? "kept"}`).join("; ")}`);
    }
  }
  const counts = details.counts as Record<string, number> | undefined;
  if (counts) out.push(`writes: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (Array.isArray(details.healed)) out.push(...(details.healed as string[]));
  if (Array.isArray(details.rules)) out.push(...(details.rules as string[]));
  return out;
}
