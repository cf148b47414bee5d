/**
 * The scenario list of the integration suite (test/integration/scenarios.test.ts), in one place:
 * the suite runs it as one session, and `swarmlab bench` runs the same list once for its
 * `suiteSeconds`. Data only: no import, so anything may import it.
 *
 * The order keeps the lab reusable as long as possible (see reuseVerdict in session.ts). Four
 * scenarios reschedule a task and so leave two on one host (quorum-loss, host-pause, node-stop,
 * leader-loss): each ends a run of scenarios on one lab, so three new labs (new hosts and the seed,
 * ~30-40 s each) are the least there can be. The scenarios with `profile: tuned` share one of those
 * labs, seeded with the tuned timers, and end with quorum-loss, so their timers cost no extra lab.
 */
export const SUITE_BLOCKS = [
  {
    timers: "walkthrough",
    what: "the walkthrough's timers, from the seed itself",
    scenarios: [
      "seed", "gcomm-no-address", "partition-gossip", "slow-link", "clock-skew", "dns-outage", "chaos-short",
      "bootstrap-race", "service-name-vs-tasks", "mtu-drop", "rolling-restart", "clean-shutdown",
      "early-dns-answer", "stale-address", "whole-cluster-crash", "healthcheck-vs-sst", "host-pause",
    ],
  },
  {
    timers: "tuned",
    what: "profile: tuned, on a lab of their own",
    scenarios: ["partition-vxlan", "partition-swarm-ports", "asymmetric-partition", "process-freeze", "quorum-loss"],
  },
  {
    timers: "walkthrough",
    what: "the walkthrough's timers again, one new lab each",
    scenarios: ["node-stop", "leader-loss"],
  },
  {
    timers: "walkthrough",
    what: "a lab of five hosts, all managers, five members (the first leaves the seed's state for the second)",
    scenarios: ["five-members-no-majority", "manager-minority"],
  },
] as const;

/** Every scenario of the suite, in the order the session runs them. */
export const SUITE_SCENARIOS: readonly string[] = SUITE_BLOCKS.flatMap((b) => [...b.scenarios]);
