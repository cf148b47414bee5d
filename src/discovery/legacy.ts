/**
 * DISCOVERY_MODE=legacy: a faithful re-creation of the 2016 Percona entrypoint's discovery
 * (percona-docker pxc-56/entrypoint.sh), defects included, so the lab can show what it did.
 *
 *   ipaddr=$(hostname -i | awk ' { print $1 } ')
 *   i=$(curl .../queue/$CLUSTER_NAME | jq -r '.node.nodes[].value')   # one string, one value a line
 *   i1=${i[@]/$ipaddr}                 # removes the FIRST substring match, in the whole string
 *   ... register .../$CLUSTER_NAME/$ipaddr/{ipaddr,hostname} ttl=30 ...
 *   i=$(curl .../$CLUSTER_NAME/?quorum=true | jq -r '.node.nodes[]?.key' | awk -F'/' '{print $(NF)}')
 *   i2=${i[@]/$ipaddr}
 *   cluster_join=$(join , $i1 $i2 )    # word-split, no de-duplication
 *   mysqld ... --wsrep_cluster_address="gcomm://$cluster_join" --wsrep_node_address="$ipaddr"
 */

/** `hostname -i | awk '{ print $1 }'` */
export function legacyOwnAddress(hostnameIOutput: string): string {
  return hostnameIOutput.trim().split(/\s+/)[0] ?? "";
}

/** bash `${i[@]/$pattern}` on a scalar i: the first occurrence of the literal text is removed. */
export function bashRemoveFirst(text: string, pattern: string): string {
  if (pattern === "") return text;
  const at = text.indexOf(pattern);
  return at < 0 ? text : text.slice(0, at) + text.slice(at + pattern.length);
}

/** Unquoted expansion: split on whitespace, drop empty words. */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== "");
}

export interface LegacyInputs {
  ownAddress: string;
  /** Values of the queue's nodes in order (jq '.node.nodes[].value'). */
  queueValues: string[];
  /** Keys of the registration directory (jq '.node.nodes[]?.key'), full paths. */
  registeredKeys: string[];
}

export interface LegacyResult {
  i1: string[];
  i2: string[];
  clusterJoin: string;
  clusterAddress: string;
  /** Both lists empty: the 2016 image then bootstraps with gcomm:// */
  bootstrap: boolean;
}

export function legacyClusterAddress({ ownAddress, queueValues, registeredKeys }: LegacyInputs): LegacyResult {
  const i = queueValues.join("\n");
  const i1 = words(bashRemoveFirst(i, ownAddress));
  const lastElements = registeredKeys.map((k) => k.split("/").pop() ?? "").join("\n");
  const i2 = words(bashRemoveFirst(lastElements, ownAddress));
  const clusterJoin = [...i1, ...i2].join(",");
  return { i1, i2, clusterJoin, clusterAddress: `gcomm://${clusterJoin}`, bootstrap: clusterJoin === "" };
}
