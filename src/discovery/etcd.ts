/** A small etcd v2 keys-API client on fetch (Node's own), for the image's entrypoint. */

export interface EtcdNode {
  key: string;
  value?: string;
  dir?: boolean;
  ttl?: number;
  nodes?: EtcdNode[];
}

export class EtcdV2 {
  constructor(
    /** host:port, as DISCOVERY_SERVICE gives it */
    readonly endpoint: string,
    private readonly timeoutMs = 5000,
  ) {}

  private url(key: string, query: Record<string, string> = {}): string {
    const q = new URLSearchParams(query).toString();
    return `http://${this.endpoint}/v2/keys${key}${q ? `?${q}` : ""}`;
  }

  private async call(method: string, key: string, query: Record<string, string> = {}, form?: Record<string, string>) {
    const res = await fetch(this.url(key, query), {
      method,
      body: form ? new URLSearchParams(form).toString() : undefined,
      headers: form ? { "content-type": "application/x-www-form-urlencoded" } : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as { node?: EtcdNode; errorCode?: number; message?: string };
    return { status: res.status, body };
  }

  /** GET a key or directory; null when it does not exist. */
  async get(key: string, query: Record<string, string> = {}): Promise<EtcdNode | null> {
    const { status, body } = await this.call("GET", key, query);
    if (status === 404) return null;
    if (status >= 400) throw new Error(`etcd GET ${key}: ${status} ${body.message ?? ""}`);
    return body.node ?? null;
  }

  async put(key: string, form: Record<string, string>, query: Record<string, string> = {}): Promise<number> {
    const { status, body } = await this.call("PUT", key, query, form);
    if (status >= 400 && status !== 412) throw new Error(`etcd PUT ${key}: ${status} ${body.message ?? ""}`);
    return status;
  }

  async post(key: string, form: Record<string, string>): Promise<void> {
    const { status, body } = await this.call("POST", key, {}, form);
    if (status >= 400) throw new Error(`etcd POST ${key}: ${status} ${body.message ?? ""}`);
  }

  async delete(key: string, query: Record<string, string> = {}): Promise<void> {
    await this.call("DELETE", key, query);
  }

  /** Atomic create: true when this call made the key (etcd's prevExist=false). */
  async create(key: string, value: string, ttl: number): Promise<boolean> {
    const status = await this.put(key, { value, ttl: String(ttl) }, { prevExist: "false" });
    return status === 201;
  }

  /**
   * Compare-and-swap (etcd's prevValue): gives the key a new TTL only while it still holds `value`.
   * False when it is gone (404) or holds another value (412): someone else's now.
   */
  async refresh(key: string, value: string, ttl: number): Promise<boolean> {
    const { status, body } = await this.call("PUT", key, { prevValue: value }, { value, ttl: String(ttl) });
    if (status === 404 || status === 412) return false;
    if (status >= 400) throw new Error(`etcd PUT ${key}: ${status} ${body.message ?? ""}`);
    return true;
  }

  /** Compare-and-delete (etcd's prevValue): deletes the key only while it holds `value`; false when it did not. */
  async deleteIf(key: string, value: string): Promise<boolean> {
    const { status, body } = await this.call("DELETE", key, { prevValue: value });
    if (status === 404 || status === 412) return false;
    if (status >= 400) throw new Error(`etcd DELETE ${key}: ${status} ${body.message ?? ""}`);
    return true;
  }
}
