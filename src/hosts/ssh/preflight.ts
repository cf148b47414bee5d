/** Before anything changes on someone's machines: every one reachable, with an engine, not in a swarm of its own. */
import type { SshHost } from "./ssh-host.js";
import { LabError } from "../../util/errors.js";
import { gossipPortHeld } from "./ssh-provider.js";

export interface PreflightOptions {
  /** Take machines that are already in a swarm (they will leave it). */
  force?: boolean;
  /** This lab's own state is there already (a lab being replaced or reused). */
  ownLab?: boolean;
}

/** One line per problem, naming the host and the fix; empty when every host may be used. */
export async function preflightProblems(hosts: readonly SshHost[], o: PreflightOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    hosts.map(async (h) => {
      try {
        await h.connect(10_000);
      } catch (err) {
        problems.push(`${h.name}: ${(err as Error).message}${(err as LabError).hint ? ` (${(err as LabError).hint})` : ""}`);
        return;
      }
      const v = await h.docker(["version", "--format", "{{.Server.Version}}"], { allowFailure: true, timeoutMs: 20_000 });
      if (v.exitCode !== 0) {
        const why = `${v.stderr || v.stdout}`.split("\n")[0] ?? "";
        problems.push(
          /not found/.test(why)
            ? `${h.name}: no docker on ${h.id} (install docker.io or docker-ce there)`
            : /permission denied/i.test(why)
              ? `${h.name}: ${h.spec.ssh.user} may not use the engine (${why}): add the user to the docker group or let the lab use sudo (ssh.sudo: true)`
              : `${h.name}: the engine does not answer on ${h.id}: ${why} (start it: systemctl start docker)`,
        );
        return;
      }
      const hn = await h.exec(["hostname"], { allowFailure: true, timeoutMs: 10_000 });
      if (!h.spec.hostname && hn.exitCode === 0) h.hostname = hn.stdout.trim();
      const swarm = await h.docker(["info", "--format", "{{.Swarm.LocalNodeState}}"], { allowFailure: true, timeoutMs: 20_000 });
      if (swarm.stdout.trim() === "active" && !o.force && !o.ownLab) {
        problems.push(`${h.name}: ${h.id} is already in a swarm: the lab would make it leave (pass --force if that is meant)`);
      }
      if (swarm.stdout.trim() === "inactive" && (await gossipPortHeld(h))) {
        problems.push(`${h.name}: something listens on swarm's gossip port 7946 on ${h.id} although it is in no swarm (often dockerd itself after a \`swarm leave\`, moby#31913): a new swarm's overlay would carry nothing (restart the engine: systemctl restart docker; or see ss -ltnp 'sport = :7946')`);
      }
      for (const tool of ["iptables", "nsenter"]) {
        const t = await h.sh(`command -v ${tool}`, { allowFailure: true, timeoutMs: 10_000 });
        if (t.exitCode !== 0) problems.push(`${h.name}: no ${tool} on ${h.id} (the network faults need it: apt-get install ${tool === "nsenter" ? "util-linux" : tool})`);
      }
    }),
  );
  return problems.sort();
}

export async function preflight(hosts: readonly SshHost[], o: PreflightOptions = {}): Promise<void> {
  const problems = await preflightProblems(hosts, o);
  if (problems.length) throw new LabError(`the inventory's machines cannot be used as they are (nothing was changed):\n  ${problems.join("\n  ")}`);
}
