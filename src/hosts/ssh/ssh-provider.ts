/**
 * Machines reached over SSH as lab hosts. The lab records what each machine had before `up` and
 * `down` removes exactly what it made (swarm, containers, networks, volumes, the images it loaded,
 * its iptables rules), leaving the machine as it found it.
 */
import type { Host, HostProvider, PowerOp, ProviderFeature, RemovalSummary } from "../host.js";
import type { Rule } from "../../faults/grudge.js";
import { SshHost } from "./ssh-host.js";
import { SYSTEMD_POWER, type Inventory } from "./inventory.js";
import { waitFor } from "../../util/wait.js";
import { LabError, WaitTimeoutError } from "../../util/errors.js";
import type { HostUnreachableError } from "../lost-host.js";

/** Where the lab keeps, on each machine, what was there before it came. */
export const stateDirOn = (lab: string) => `/var/lib/swarmlab/${lab}`;

/** Deletes every iptables rule the lab added (they carry the comment "swarmlab"), in every table. */
export const SWEEP_RULES = `for t in filter mangle raw nat; do iptables-save -t $t 2>/dev/null | grep -- '--comment swarmlab' | sed 's/^-A /-D /' | while read -r r; do eval iptables -w 5 -t $t $r; done; done; pkill -x nfq-delay 2>/dev/null; true`;

/**
 * Whether anything listens on swarm's gossip port 7946 (tcp, v4 or v6), read from /proc so it needs
 * no ss/netstat on the machine. 7946 is 0x1F0A; state 0A is LISTEN.
 */
const GOSSIP_LISTENING = `grep -qiE '^ *[0-9]+: [0-9A-F]+:1F0A [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null`;

export const gossipPortHeld = async (h: SshHost): Promise<boolean> => (await h.sh(GOSSIP_LISTENING, { allowFailure: true, timeoutMs: 10_000 })).exitCode === 0;

export class SshProvider implements HostProvider {
  readonly kind = "ssh" as const;
  readonly hosts: SshHost[];
  /** This machine's address as each host sees it (from SSH_CONNECTION): never cut off by a fault. */
  private readonly controller = new Map<string, string>();

  constructor(readonly inventory: Inventory) {
    this.hosts = inventory.hosts.map((h) => new SshHost(h, { inventoryFile: inventory.file }));
  }

  private ssh(host: Host): SshHost {
    const h = this.hosts.find((x) => x.name === host.name);
    if (!h) throw new LabError(`${host.name} is not in the inventory ${this.inventory.file}`);
    return h;
  }

  private powerCommand(h: SshHost, op: Exclude<PowerOp, "restart">): string {
    return h.spec.power?.[op] ?? SYSTEMD_POWER[op];
  }

  async power(host: Host, op: PowerOp, opts: { grace?: number; signal?: AbortSignal } = {}): Promise<void> {
    const h = this.ssh(host);
    const ops: Array<Exclude<PowerOp, "restart">> = op === "restart" ? ["kill", "start"] : [op];
    for (const o of ops) {
      const cmd = o === "stop" && opts.grace ? `GRACE=${opts.grace} ${this.powerCommand(h, o)}` : this.powerCommand(h, o);
      await h.sh(cmd, { timeoutMs: 120_000 });
    }
    if (op === "start" || op === "restart") {
      try {
        await waitFor(`the engine on ${h.name} to answer`, () => h.docker(["info", "--format", "{{.ServerVersion}}"], { allowFailure: true, timeoutMs: 10_000 }), (r) => r.exitCode === 0, { timeoutMs: 90_000, intervalMs: 500, signal: opts.signal }, (r) => r.stderr.split("\n")[0] ?? "");
      } catch (err) {
        // The machine went while its engine was awaited: say that, not only that the engine did not answer.
        if (err instanceof WaitTimeoutError && h.lost) throw h.lost.again(`${op} ${h.name}'s engine`);
        throw err;
      }
    }
  }

  /** Hosts declared lost (SSH gone, one reconnect failed) at or after `since` and not reached again since. */
  lostHosts(since = 0): HostUnreachableError[] {
    return this.hosts.map((h) => h.lost).filter((e): e is HostUnreachableError => e !== undefined && e.at >= since);
  }

  async states(hosts: readonly Host[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await Promise.all(
      hosts.map(async (host) => {
        const h = this.ssh(host);
        const r = await h.sh("p=$(pgrep -xo dockerd) && ps -o stat= -p $p", { allowFailure: true, timeoutMs: 8_000 }).catch(() => undefined);
        out[h.name] = !r ? "unreachable" : r.exitCode !== 0 ? "stopped" : r.stdout.trim().startsWith("T") ? "paused" : "running";
      }),
    );
    return out;
  }

  async live(hosts: readonly Host[]): Promise<Host[]> {
    const s = await this.states(hosts);
    return hosts.filter((h) => s[h.name] === "running");
  }

  /** Rules that keep SSH and this machine reachable on a host, above any fault's rules. */
  async guardRules(host: string): Promise<Rule[]> {
    const h = this.hosts.find((x) => x.name === host);
    if (!h) return [];
    if (!this.controller.has(host)) {
      const r = await h.sh("echo $SSH_CONNECTION", { timeoutMs: 10_000 });
      this.controller.set(host, r.stdout.trim().split(/\s+/)[0] ?? "");
    }
    const me = this.controller.get(host)!;
    const port = String(h.spec.ssh.port);
    const rules: Rule[] = [
      { host, spec: ["INPUT", "-p", "tcp", "--dport", port, "-j", "ACCEPT"], note: "keeps SSH" },
      { host, spec: ["OUTPUT", "-p", "tcp", "--sport", port, "-j", "ACCEPT"], note: "keeps SSH" },
      { host, table: "raw", spec: ["PREROUTING", "-p", "tcp", "--dport", port, "-j", "ACCEPT"], note: "keeps SSH" },
    ];
    if (me) {
      rules.push({ host, spec: ["INPUT", "-s", me, "-j", "ACCEPT"], note: "keeps the controller" }, { host, spec: ["OUTPUT", "-d", me, "-j", "ACCEPT"], note: "keeps the controller" });
    }
    return rules;
  }

  /** Before `up`: what each machine has, so `down` removes only what the lab added. */
  async recordBefore(lab: string): Promise<void> {
    const d = stateDirOn(lab);
    await Promise.all(
      this.hosts.map((h) =>
        h.sh(`mkdir -p ${d} && docker ps -aq --no-trunc > ${d}/containers && docker network ls -q --no-trunc > ${d}/networks && docker volume ls -q > ${d}/volumes && : > ${d}/loaded-images`, { timeoutMs: 30_000 }),
      ),
    );
  }

  async noteLoadedImage(host: string, tag: string, lab: string): Promise<void> {
    await this.ssh({ name: host } as Host).sh(`echo '${tag}' >> ${stateDirOn(lab)}/loaded-images`, { timeoutMs: 10_000 });
  }

  async hasLab(lab: string): Promise<boolean> {
    const r = await Promise.all(this.hosts.map((h) => h.exec(["test", "-d", stateDirOn(lab)], { allowFailure: true, timeoutMs: 10_000 }).catch(() => ({ exitCode: 1 }))));
    return r.some((x) => x.exitCode === 0);
  }

  async remove(lab: string): Promise<RemovalSummary> {
    const d = stateDirOn(lab);
    const summary: RemovalSummary = { containers: [], networks: [], volumes: [], other: [] };
    const errors: string[] = [];
    await Promise.all(
      this.hosts.map(async (h) => {
        try {
          const has = await h.exec(["test", "-d", d], { allowFailure: true, timeoutMs: 15_000 });
          if (has.exitCode !== 0) return;
          // A host left stopped or frozen by a fault is brought back first, so it can be cleaned.
          const state = (await this.states([h]))[h.name];
          if (state === "paused") await this.power(h, "resume");
          if (state === "stopped") await this.power(h, "start");
          const script = [
            SWEEP_RULES,
            "docker swarm leave --force >/dev/null 2>&1 || true",
            `for c in $(docker ps -aq --no-trunc); do grep -qx "$c" ${d}/containers || { docker rm -f -v "$c" >/dev/null && echo "container $c"; }; done`,
            `for n in $(docker network ls -q --no-trunc); do grep -qx "$n" ${d}/networks || { docker network rm "$n" >/dev/null 2>&1 && echo "network $n"; }; done`,
            `for v in $(docker volume ls -q); do grep -qx "$v" ${d}/volumes || { docker volume rm -f "$v" >/dev/null && echo "volume $v"; }; done`,
            `for i in $(cat ${d}/loaded-images); do docker image rm -f "$i" >/dev/null 2>&1 && echo "image $i"; done`,
            `rm -rf ${d}`,
          ].join("\n");
          const r = await h.sh(script, { timeoutMs: 300_000 });
          for (const line of r.stdout.split("\n").filter(Boolean)) {
            const [what, id] = line.split(" ");
            const item = `${h.name}:${id!.slice(0, 12)}`;
            if (what === "container") summary.containers.push(item);
            else if (what === "network") summary.networks.push(item);
            else if (what === "volume") summary.volumes.push(item);
            else summary.other!.push(`${h.name}: ${line}`);
          }
          summary.other!.push(`${h.name}: left the swarm, removed the lab's rules`);
          if (await this.releaseGossipPort(h)) summary.other!.push(`${h.name}: restarted its engine: after leaving the swarm, dockerd still held the gossip port 7946 (moby#31913), and the next swarm's overlay would not work`);
        } catch (err) {
          errors.push(`${h.name}: ${(err as Error).message.split("\n")[0]}`);
        }
      }),
    );
    if (errors.length) {
      throw new LabError(`down could not clean every machine: ${errors.join("; ")}`, {
        hint: `on each machine named: \`docker swarm leave --force\`, remove what is not in ${d}/ (containers, networks, volumes, loaded-images), delete iptables rules with the comment swarmlab, then rm -rf ${d}`,
      });
    }
    return summary;
  }

  /**
   * After \`swarm leave\`, dockerd sometimes keeps the old swarm's gossip agent listening on 7946
   * (moby#31913). The next swarm's agent then fails ("failed to create memberlist ... address
   * already in use") and its overlay carries nothing: tasks on other machines get "No route to host".
   * Waits up to 10 s for the port to close; if dockerd still holds it, restarts the engine with the
   * inventory's power commands. Returns whether it restarted.
   */
  private async releaseGossipPort(h: SshHost): Promise<boolean> {
    const released = await waitFor(`port 7946 on ${h.name} to close`, () => gossipPortHeld(h), (held) => !held, { timeoutMs: 10_000, intervalMs: 500 }).then(
      () => true,
      (err) => {
        if (err instanceof WaitTimeoutError) return false;
        throw err;
      },
    );
    if (released) return false;
    const swarm = await h.docker(["info", "--format", "{{.Swarm.LocalNodeState}}"], { allowFailure: true, timeoutMs: 20_000 });
    if (swarm.stdout.trim() !== "inactive") return false; // in a swarm after all (not ours to fix), or no answer
    await this.power(h, "stop");
    await this.power(h, "start");
    if (await gossipPortHeld(h)) throw new LabError(`${h.name}: port 7946 is still held after restarting its engine: another process listens there (swarm's gossip needs it)`, { hint: `on ${h.id}: ss -ltnp 'sport = :7946'` });
    return true;
  }

  supports(feature: ProviderFeature): boolean {
    return feature === "pause";
  }

  why(feature: ProviderFeature): string {
    return feature === "create" ? "machines over SSH are yours: the lab does not make or remove them" : feature === "image-cache" ? "images are loaded over SSH (only what a machine lacks)" : "the engine runs on another machine: its processes are not visible from here";
  }

  async close(): Promise<void> {
    for (const h of this.hosts) h.close();
  }
}
