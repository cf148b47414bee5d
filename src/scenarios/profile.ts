/**
 * Timing profiles. "walkthrough" runs every command as written (swarm's and Galera's defaults).
 * "tuned" shortens the timers that decide how fast a failure is noticed and repaired: swarm's
 * dispatcher heartbeat (5 s -> 1 s: a stopped node is marked Down sooner and its tasks move sooner),
 * the service's restart delay (5 s -> 1 s: swarm waits that long before starting a replacement
 * task, also for a task lost with its node) and Galera's EVS timers (a silent member is suspected after 2 s instead of 5, declared gone after 4 s
 * instead of 15). Shorter timers also mean more false alarms on a loaded machine: that is why they
 * are not the default. Pure: commands in, commands out.
 */
export const PROFILES = ["walkthrough", "tuned"] as const;
export type Profile = (typeof PROFILES)[number];

export const TUNED_DISPATCHER_HEARTBEAT = "1s";
export const TUNED_RESTART_DELAY = "1s";
export const TUNED_WSREP_PROVIDER_OPTIONS =
  "evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.inactive_check_period=PT0.5S;evs.install_timeout=PT4S;gmcast.peer_timeout=PT2S";

export interface ProfiledCommand {
  command: string;
  /** run after the command, on the same host */
  after?: string;
  changed?: string;
}

export function applyProfile(command: string, profile: Profile): ProfiledCommand {
  if (profile === "walkthrough") return { command };
  if (/^\s*docker swarm init\b/.test(command)) {
    return {
      command,
      after: `docker swarm update --dispatcher-heartbeat ${TUNED_DISPATCHER_HEARTBEAT}`,
      changed: `tuned profile: then docker swarm update --dispatcher-heartbeat ${TUNED_DISPATCHER_HEARTBEAT} (default 5s)`,
    };
  }
  const create = command.match(/docker service create\b/);
  if (create && /--name mysql-galera\b/.test(command) && !command.includes("WSREP_PROVIDER_OPTIONS")) {
    const at = create.index! + create[0].length;
    return {
      command: `${command.slice(0, at)} --restart-delay ${TUNED_RESTART_DELAY} --env "WSREP_PROVIDER_OPTIONS=${TUNED_WSREP_PROVIDER_OPTIONS}"${command.slice(at)}`,
      changed: `tuned profile: --restart-delay ${TUNED_RESTART_DELAY} (default 5s) and Galera EVS timers ${TUNED_WSREP_PROVIDER_OPTIONS}`,
    };
  }
  return { command };
}
