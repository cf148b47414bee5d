/** Docker-in-docker hosts: containers of the outer engine, powered through its API. */
import type Docker from "dockerode";
import type { Host, HostProvider, PowerOp, ProviderFeature, RemovalSummary } from "../host.js";
import { HostNode } from "./dind-host.js";
import { powerHost, removeLab } from "./containers.js";

const asDind = (h: Host): HostNode => {
  if (!(h instanceof HostNode)) throw new Error(`host ${h.name} is not a docker-in-docker host`);
  return h;
};

export class DindProvider implements HostProvider {
  readonly kind = "dind" as const;
  constructor(readonly docker: Docker) {}

  power(host: Host, op: PowerOp, opts: { grace?: number; signal?: AbortSignal } = {}): Promise<void> {
    return powerHost(this.docker, asDind(host), op, opts);
  }

  async live(hosts: readonly Host[]): Promise<Host[]> {
    const states = await this.states(hosts);
    return hosts.filter((h) => states[h.name] === "running");
  }

  async states(hosts: readonly Host[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await Promise.all(
      hosts.map(async (h) => {
        const info = await this.docker.getContainer(asDind(h).container).inspect().catch(() => undefined);
        out[h.name] = !info ? "missing" : info.State.Paused ? "paused" : info.State.Running ? "running" : info.State.Status;
      }),
    );
    return out;
  }

  remove(lab: string): Promise<RemovalSummary> {
    return removeLab(this.docker, lab);
  }

  supports(_feature: ProviderFeature): boolean {
    return true;
  }

  why(_feature: ProviderFeature): string {
    return "";
  }
}
