/** Every wait and check a scenario step can name. Adding one: a file here and a line below. */
import type { AnyCheckKind, AnyWaitKind } from "../../context/step-kinds.js";
import swarmReady from "./swarm-ready.js";
import swarmLeader from "./swarm-leader.js";
import serviceRunning from "./service-running.js";
import galeraSynced from "./galera-synced.js";
import galeraDegraded from "./galera-degraded.js";
import hostDown from "./host-down.js";
import taskLogWait from "./task-log-wait.js";
import swarmRoles from "./swarm-roles.js";
import serviceSpread from "./service-spread.js";
import galeraHealth from "./galera-health.js";
import clusterAddress from "./cluster-address.js";
import replication from "./replication.js";
import history from "./history.js";
import taskLogCheck from "./task-log-check.js";
import noAddressExplained from "./no-address-explained.js";
import discovery from "./discovery.js";
import httpWait from "./http-wait.js";
import tcpWait from "./tcp-wait.js";
import sqlWait from "./sql-wait.js";
import httpCheck from "./http-check.js";
import tcpCheck from "./tcp-check.js";
import sqlCheck from "./sql-check.js";
import galeraClusters from "./galera-clusters.js";

export const WAITS: readonly AnyWaitKind[] = [
  swarmReady,
  swarmLeader,
  serviceRunning,
  galeraSynced,
  galeraDegraded,
  hostDown,
  taskLogWait,
  httpWait,
  tcpWait,
  sqlWait,
];

export const CHECKS: readonly AnyCheckKind[] = [
  swarmRoles,
  serviceSpread,
  galeraHealth,
  clusterAddress,
  replication,
  history,
  taskLogCheck,
  noAddressExplained,
  discovery,
  httpCheck,
  tcpCheck,
  sqlCheck,
  galeraClusters,
];
