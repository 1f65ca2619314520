import type { ServerApi } from "../../rpc/server-api.js";
import { callAnyServer, type ServerList } from "./server-list.js";

/**
 * The ServerApi of "whichever server answers": each call goes to the client's current server
 * and fails over as the client's own calls do. A client agent's HTTP API serves `/v1/jobs`,
 * `/v1/nodes`, … through it, as a Nomad client agent forwards its API to the servers.
 */
/** Properties that JavaScript itself probes (await, JSON.stringify, string conversion). */
const NOT_METHODS = new Set(["then", "toJSON", "toString", "valueOf", "inspect"]);

export function serverApiProxy(servers: ServerList): ServerApi {
  return new Proxy({} as ServerApi, {
    get(_target, property) {
      // Not a thenable, not iterable: only ServerApi's methods exist on it.
      if (typeof property === "symbol" || NOT_METHODS.has(property)) return undefined;
      if (property === "watchClientAllocs") {
        return (...args: Parameters<ServerApi["watchClientAllocs"]>) =>
          servers.current().watchClientAllocs(...args);
      }
      return (...args: unknown[]) =>
        callAnyServer(servers, (client) => {
          const method = (client as unknown as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[
            property
          ];
          if (typeof method !== "function")
            throw new TypeError(`ServerApi has no method ${String(property)}`);
          return method.apply(client, args);
        });
    },
  });
}
