/** Who the checks log in as on a MySQL-protocol service: the step's login, else the service's own env. */
import type { RunContext } from "../context/run-context.js";
import { GALERA_SERVICE, reachableManager, type Credentials } from "./galera.js";

const cache = new WeakMap<RunContext, Map<string, Credentials>>();

/** root with the service's MYSQL_ROOT_PASSWORD (read from swarm's spec), else the run's password. */
export async function serviceCredentials(ctx: RunContext, service = GALERA_SERVICE, given?: { user?: string; password?: string; database?: string }): Promise<Credentials> {
  if (given?.password !== undefined) return { user: given.user ?? "root", password: given.password, database: given.database };
  if (service === GALERA_SERVICE) return { user: given?.user ?? "root", password: ctx.password, database: given?.database };
  const known = cache.get(ctx) ?? new Map<string, Credentials>();
  cache.set(ctx, known);
  if (!known.has(service)) {
    let password = ctx.password;
    try {
      const manager = await reachableManager(ctx.lab);
      const spec = (await manager.engine(`inspect service ${service}`, (api) => api.getService(service).inspect())) as { Spec?: { TaskTemplate?: { ContainerSpec?: { Env?: string[] } } } };
      const env = spec.Spec?.TaskTemplate?.ContainerSpec?.Env ?? [];
      password = env.find((e) => e.startsWith("MYSQL_ROOT_PASSWORD="))?.slice("MYSQL_ROOT_PASSWORD=".length) ?? password;
    } catch {
      /* no manager or no such service: the run's password */
    }
    known.set(service, { user: "root", password });
  }
  const c = known.get(service)!;
  return { ...c, user: given?.user ?? c.user, database: given?.database };
}
