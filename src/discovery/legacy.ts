/**
 * DISCOVERY_MODE=legacy: the walkthrough's image's own discovery, defects included, so the lab can show
 * what it did. The source is percona-docker `pxc-57/pxc-entry.sh`, unchanged from b26fa77 (2016-06-11,
 * "wsrep_node_address for PXC start") to b737d43 (2017-01-06); 6926988 (2017-01-06) then changed its
 * own-IP removal and `join` (`sort -un`). Its companion is `pxc-57/clustercheckcron` (unchanged
 * 2016-06-09 .. 2019-06-18). Line numbers below ("entry:N", "cron:N") are those files' lines.
 *
 * Everything here is pure and works on text, as the shell did: what `hostname -i` printed, the etcd
 * answers curl received, and what jq/awk/bash made of them. The entrypoint does the I/O.
 */

// ---- shell building blocks -------------------------------------------------------------------

/** `$( ... )`: the command's output with its trailing newlines removed. */
export function commandSubstitution(output: string): string {
  return output.replace(/\n+$/, "");
}

/** Unquoted expansion with the default IFS: split on blanks and newlines, drop empty words. */
export function words(text: string): string[] {
  return text.split(/[ \t\n]+/).filter((w) => w !== "");
}

/** awk's default field split of one line (leading blanks ignored). */
function fields(line: string): string[] {
  return line.split(/[ \t]+/).filter((f) => f !== "");
}

/** `awk ' { print $1 } '`: the first field of every line, one output line per input line. */
export function awkPrintFirst(text: string): string {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text === "" ? [] : text.split("\n");
  return lines.map((l) => `${fields(l)[0] ?? ""}\n`).join("");
}

/** `awk -F'/' '{print $(NF)}'`: the last /-separated field of every line ($0 when the line is empty). */
export function awkPrintLastSlashField(text: string): string {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text === "" ? [] : text.split("\n");
  return lines.map((l) => `${l === "" ? "" : l.split("/").pop()}\n`).join("");
}

/**
 * bash `${i[@]/$ipaddr}` on a scalar i (entry:128, entry:141): the first occurrence of the text is
 * removed, anywhere in the whole string, even inside a longer address. An empty pattern removes nothing.
 * (The pattern is a glob; an address has no glob characters, so it matches literally.)
 */
export function bashRemoveFirst(text: string, pattern: string): string {
  if (pattern === "") return text;
  const at = text.indexOf(pattern);
  return at < 0 ? text : text.slice(0, at) + text.slice(at + pattern.length);
}

/** `function join { local IFS="$1"; shift; echo "$*"; }` (entry:114): no de-duplication, no sorting. */
export function join(separator: string, args: string[]): string {
  return args.join(separator.charAt(0));
}

// ---- jq, as the script used it -------------------------------------------------------------------

function jqRaw(v: unknown): string {
  if (v === null || v === undefined) return "null";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** jq's `.[]` over arrays and objects' values; anything else is an error (`null[]` included). */
function jqIterate(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === "object") return Object.values(v);
  return undefined;
}

/** jq's `.field` on a value: null on null, undefined (error) on anything but an object. */
function jqField(v: unknown, name: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) return undefined;
  return (v as Record<string, unknown>)[name] ?? null;
}

function parseJson(body: string): unknown | undefined {
  if (body.trim() === "") return undefined; // curl failed or printed nothing: jq reads no input
  try {
    return JSON.parse(body);
  } catch {
    return undefined; // jq: parse error, no output
  }
}

/**
 * `jq -r '.node.nodes[].value'` (entry:125) on the queue's GET answer. An error answer (`{"errorCode":100,...}`)
 * makes jq fail on `null[]` with no output; an entry without a value prints "null".
 */
export function jqQueueValues(body: string): string {
  const nodes = jqField(jqField(parseJson(body) ?? undefined, "node"), "nodes");
  const items = jqIterate(nodes);
  if (!items) return "";
  let out = "";
  for (const item of items) {
    const value = jqField(item, "value");
    if (value === undefined) break; // jq: cannot index; stops here
    out += `${jqRaw(value)}\n`;
  }
  return out;
}

/** `jq -r '.node.nodes[]?.key'` (entry:139): `[]?` makes a missing directory print nothing. */
export function jqNodeKeys(body: string): string {
  const nodes = jqField(jqField(parseJson(body) ?? undefined, "node"), "nodes");
  const items = jqIterate(nodes) ?? [];
  let out = "";
  for (const item of items) {
    const key = jqField(item, "key");
    if (key === undefined) break;
    out += `${jqRaw(key)}\n`;
  }
  return out;
}

// ---- own address -------------------------------------------------------------------------------

/** `ipaddr=$(hostname -i | awk ' { print $1 } ')` (entry:119, cron:46). */
export function legacyOwnAddress(hostnameIOutput: string): string {
  return commandSubstitution(awkPrintFirst(hostnameIOutput));
}

// ---- the curl calls ----------------------------------------------------------------------------

export interface CurlCall {
  /** Line of pxc-entry.sh or clustercheckcron the call is on. */
  line: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  /** curl's `-d a -d b` body: "a&b", sent as application/x-www-form-urlencoded, not encoded. */
  data?: string;
}

/** The entrypoint's curl calls, in order (entry:122-139); `$ipaddr` and `$hostname` as the shell had them. */
export function legacyEntryCalls(discoveryService: string, cluster: string, ipaddr: string, hostname: string) {
  const keys = `http://${discoveryService}/v2/keys`;
  const dir = `${keys}/pxc-cluster/${cluster}/${ipaddr}`;
  return {
    queuePost: { line: "entry:122", method: "POST", url: `${keys}/pxc-cluster/queue/${cluster}`, data: `value=${ipaddr}&ttl=60` },
    queueGet: { line: "entry:125", method: "GET", url: `${keys}/pxc-cluster/queue/${cluster}` },
    register: [
      { line: "entry:134", method: "PUT", url: `${dir}/ipaddr`, data: `value=${ipaddr}&ttl=30` },
      { line: "entry:135", method: "PUT", url: `${dir}/hostname`, data: `value=${hostname}&ttl=30` },
      { line: "entry:136", method: "PUT", url: dir, data: "ttl=30&dir=true&prevExist=true" },
    ],
    listGet: { line: "entry:139", method: "GET", url: `${keys}/pxc-cluster/${cluster}/?quorum=true` },
  } satisfies Record<string, CurlCall | CurlCall[]>;
}

/** clustercheckcron's calls: the same three PUTs while healthy (cron:78-80), else one DELETE (cron:84). */
export function clustercheckCalls(discoveryService: string, cluster: string, ipaddr: string, hostname: string) {
  const dir = `http://${discoveryService}/v2/keys/pxc-cluster/${cluster}/${ipaddr}`;
  return {
    refresh: [
      { line: "cron:78", method: "PUT", url: `${dir}/ipaddr`, data: `value=${ipaddr}&ttl=30` },
      { line: "cron:79", method: "PUT", url: `${dir}/hostname`, data: `value=${hostname}&ttl=30` },
      { line: "cron:80", method: "PUT", url: dir, data: "ttl=30&dir=true&prevExist=true" },
    ],
    remove: { line: "cron:84", method: "DELETE", url: `${dir}/?recursive=true` },
  } satisfies Record<string, CurlCall | CurlCall[]>;
}

/**
 * The entrypoint starts `/usr/bin/clustercheckcron monitor monitor 1 /var/lib/mysql/clustercheck.log 1 &`
 * (entry:147), so AVAILABLE_WHEN_DONOR=1: keys are kept while wsrep_cluster_status is Primary and
 * wsrep_local_state is 4 (Synced) or 2 (Donor/Desynced) (cron:58-59); deleted otherwise, including
 * before mysqld answers. It checks at once, then sleeps 5 s after each round (cron:87).
 */
export function clustercheckHealthy(status: Record<string, string | undefined>, availableWhenDonor = true): boolean {
  const state = status.wsrep_local_state;
  return status.wsrep_cluster_status === "Primary" && (state === "4" || (state === "2" && availableWhenDonor));
}
export const CLUSTERCHECK_SLEEP_MS = 5000;

// ---- from the answers to cluster_join ----------------------------------------------------------

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
  /** Both lists empty: cluster_join is empty, and gcomm:// makes mysqld bootstrap a new cluster. */
  bootstrap: boolean;
}

function fromText(ownAddress: string, queueText: string, registeredText: string): LegacyResult {
  const i1 = bashRemoveFirst(queueText, ownAddress); // entry:128
  const i2 = bashRemoveFirst(registeredText, ownAddress); // entry:141
  const clusterJoin = join(",", [...words(i1), ...words(i2)]); // entry:143 `$(join , $i1 $i2 )`
  return { i1: words(i1), i2: words(i2), clusterJoin, clusterAddress: `gcomm://${clusterJoin}`, bootstrap: clusterJoin === "" };
}

/** cluster_join from the jq outputs given as lists (one value or key per entry). */
export function legacyClusterAddress({ ownAddress, queueValues, registeredKeys }: LegacyInputs): LegacyResult {
  const queueText = commandSubstitution(queueValues.map((v) => `${v}\n`).join(""));
  const registeredText = commandSubstitution(awkPrintLastSlashField(registeredKeys.map((k) => `${k}\n`).join("")));
  return fromText(ownAddress, queueText, registeredText);
}

/**
 * cluster_join from the raw bodies curl got (entry:125 and entry:139), through jq and awk as the
 * script piped them. A failed curl gives "" (set +e, entry:117), so an unreachable etcd means bootstrap.
 */
export function legacyFromAnswers(ownAddress: string, queueAnswer: string, listAnswer: string): LegacyResult & { queueText: string; registeredText: string } {
  const queueText = commandSubstitution(jqQueueValues(queueAnswer));
  const registeredText = commandSubstitution(awkPrintLastSlashField(jqNodeKeys(listAnswer)));
  return { ...fromText(ownAddress, queueText, registeredText), queueText, registeredText };
}

// ---- mysqld's command line ---------------------------------------------------------------------

export interface LegacyMysqldInputs {
  cluster: string;
  clusterJoin: string;
  /** Empty when DISCOVERY_SERVICE is unset: the script never sets ipaddr then (entry:106-107). */
  ipaddr: string;
  xtrabackupPassword: string;
  /** The script says xtrabackup-v2, which MariaDB 10.11 does not have; the lab passes its own. */
  sstMethod: string;
  /** The container's arguments ("$@"). */
  argv: string[];
}

/**
 * entry:153: `exec mysqld --user=mysql --wsrep_cluster_name=$CLUSTER_NAME
 * --wsrep_cluster_address="gcomm://$cluster_join" --wsrep_sst_method=xtrabackup-v2
 * --wsrep_sst_auth="xtrabackup:$XTRABACKUP_PASSWORD" --wsrep_node_address="$ipaddr" $CMDARG`,
 * CMDARG="$@" only when the first argument starts with "-" (entry:5-7), word-split unquoted.
 */
export function legacyMysqldArgs(o: LegacyMysqldInputs): string[] {
  const cmdarg = o.argv[0]?.startsWith("-") ? words(o.argv.join(" ")) : [];
  return [
    "--user=mysql",
    ...words(`--wsrep_cluster_name=${o.cluster}`),
    `--wsrep_cluster_address=gcomm://${o.clusterJoin}`,
    `--wsrep_sst_method=${o.sstMethod}`,
    `--wsrep_sst_auth=xtrabackup:${o.xtrabackupPassword}`,
    `--wsrep_node_address=${o.ipaddr}`,
    ...cmdarg,
  ];
}
