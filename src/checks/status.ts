import { table } from "../util/colour.js";
import type { Lab } from "../lab.js";
import { nodeList, type SwarmNodeRow } from "../steps/swarm.js";
import { galeraMembers, memberLabel, reachableManager, serviceTasks, tasksFromContainers, wsrepOf, GALERA_SERVICE } from "./galera.js";

export interface LabStatus {
  lab: string;
  subnet: string;
  mode: string;
  hosts: Array<{ name: string; container: string; address: string; state: string }>;
  nodes: SwarmNodeRow[];
  networks: Array<{ name: string; driver: string; scope: string }>;
  services: Array<{ name: string; replicas: string; image: string }>;
  /** The Galera service's tasks, from swarm's records (or from the hosts' engines when no manager answers). */
  tasks: Array<{ task: string; node: string; state: string; address: string; source: "swarm" | "engines" }>;
  galera: Array<{ member: string; address: string; size: string; status: string; state: string; error?: string }>;
}

function jsonLines<T>(text: string): T[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export async function labStatus(lab: Lab, password = process.env.MYSQL_ROOT_PASSWORD ?? "mypassword"): Promise<LabStatus> {
  const states = await lab.provider.states(lab.nodes);
  const hosts = lab.nodes.map((h) => ({ name: h.name, container: h.id, address: h.address, state: states[h.name] ?? "unknown" }));
  const s: LabStatus = { lab: lab.name, subnet: lab.hosts.subnet, mode: lab.hosts.mode, hosts, nodes: [], networks: [], services: [], tasks: [], galera: [] };
  let manager;
  try {
    manager = await reachableManager(lab);
  } catch {
    return s; // bare hosts or no manager answers
  }
  s.nodes = await nodeList(manager).catch(() => []);
  const nets = await manager.docker(["network", "ls", "--format", "{{json .}}"]).catch(() => ({ stdout: "" }));
  s.networks = jsonLines<Record<string, string>>(nets.stdout).map((n) => ({ name: n.Name ?? "", driver: n.Driver ?? "", scope: n.Scope ?? "" }));
  const svcs = await manager.docker(["service", "ls", "--format", "{{json .}}"]).catch(() => ({ stdout: "" }));
  s.services = jsonLines<Record<string, string>>(svcs.stdout).map((v) => ({ name: v.Name ?? "", replicas: v.Replicas ?? "", image: v.Image ?? "" }));
  const swarmTasks = await serviceTasks(lab).then(
    (ts) => ts.map((t) => ({ t, source: "swarm" as const })),
    async () => (await tasksFromContainers(lab).catch(() => [])).map((t) => ({ t, source: "engines" as const })),
  );
  s.tasks = swarmTasks.map(({ t, source }) => ({ task: `${GALERA_SERVICE}.${t.slot}`, node: t.nodeHostname, state: t.state, address: t.addresses.mynet ?? "", source }));
  if (s.tasks.length) {
    const members = await galeraMembers(lab).catch(() => []);
    s.galera = await Promise.all(
      members.map(async (m) => {
        const base = { member: memberLabel(m), address: m.addresses.mynet ?? "" };
        try {
          const { status } = await wsrepOf(m, password);
          return { ...base, size: status.wsrep_cluster_size ?? "", status: status.wsrep_cluster_status ?? "", state: status.wsrep_local_state_comment ?? "" };
        } catch (err) {
          return { ...base, size: "", status: "", state: "", error: (err as Error).message.split("\n")[0] };
        }
      }),
    );
  }
  return s;
}

export function renderStatus(s: LabStatus): string {
  const out: string[] = [`lab ${s.lab}  subnet ${s.subnet}  hosts run ${s.mode}`];
  const hosts = table(["HOST", "CONTAINER", "ADDRESS", "STATE"]);
  for (const h of s.hosts) hosts.push([h.name, h.container, h.address, h.state]);
  out.push(hosts.toString());
  if (s.nodes.length) {
    const t = table(["SWARM NODE", "STATUS", "AVAILABILITY", "MANAGER STATUS"]);
    for (const n of s.nodes) t.push([`${n.hostname}${n.self ? " *" : ""}`, n.status, n.availability, n.managerStatus]);
    out.push(t.toString());
  } else out.push("swarm: no manager answers (bare hosts, or the swarm lost quorum)");
  if (s.networks.length) {
    const t = table(["NETWORK", "DRIVER", "SCOPE"]);
    for (const n of s.networks) t.push([n.name, n.driver, n.scope]);
    out.push(t.toString());
  }
  if (s.services.length) {
    const t = table(["SERVICE", "REPLICAS", "IMAGE"]);
    for (const v of s.services) t.push([v.name, v.replicas, v.image]);
    out.push(t.toString());
  }
  if (s.tasks.length) {
    const t = table(["TASK", "NODE", "STATE", "MYNET ADDRESS", "FROM"]);
    for (const x of s.tasks) t.push([x.task, x.node, x.state, x.address, x.source === "swarm" ? "swarm" : "engines (no manager answers)"]);
    out.push(t.toString());
  }
  if (s.galera.length) {
    const t = table(["GALERA MEMBER", "MYNET ADDRESS", "SIZE", "STATUS", "STATE"]);
    for (const g of s.galera) t.push([g.member, g.address, g.size, g.status || (g.error ?? ""), g.state]);
    out.push(t.toString());
  }
  return out.join("\n");
}
