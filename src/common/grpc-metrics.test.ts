import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcServerMetrics } from "./grpc-metrics.js";
import { AgentMetrics } from "./metrics.js";

const bytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

/** A tiny service of raw bytes: one unary method and one server stream. */
const definition: grpc.ServiceDefinition = {
  Echo: { path: "/test.Probe/Echo", requestStream: false, responseStream: false, ...bytes },
  Watch: { path: "/test.Probe/Watch", requestStream: false, responseStream: true, ...bytes },
};

const handlers: grpc.UntypedServiceImplementation = {
  Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    if (call.request.toString() === "missing")
      callback({ code: grpc.status.NOT_FOUND, details: "no such thing" });
    else callback(null, call.request);
  },
  Watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
    call.write(Buffer.from("one"));
    call.end();
  },
};

/** The value of the sample `name` whose labels include `labels`, in a Prometheus exposition. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

describe("GrpcServerMetrics", () => {
  let server: grpc.Server | undefined;
  let client: grpc.Client | undefined;

  afterEach(() => {
    client?.close();
    server?.forceShutdown();
  });

  it("counts calls by method and status code and times them, streams once when they end", async () => {
    const metrics = new AgentMetrics("t", { processMetrics: false });
    server = new grpc.Server();
    server.addService(definition, GrpcServerMetrics.of(metrics).instrument(definition, handlers));
    const port = await new Promise<number>((resolve, reject) =>
      server?.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e === null ? resolve(p) : reject(e),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(definition, "Probe");
    const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client &
      Record<string, (...args: unknown[]) => unknown>;
    client = c;
    // Before any call the series exist at zero (children are made when the service is added).
    const echoOk = { service: "test.Probe", method: "Echo", code: "OK" };
    expect(sample(await metrics.text(), "drover_grpc_server_handled_total", echoOk)).toBe(0);

    const echo = (text: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        (c["Echo"] as (req: Buffer, cb: (e: grpc.ServiceError | null) => void) => void)(
          Buffer.from(text),
          (error) => resolve(error),
        );
      });
    expect(await echo("hello")).toBeNull();
    expect(await echo("hello")).toBeNull();
    expect((await echo("missing"))?.code).toBe(grpc.status.NOT_FOUND);
    await new Promise<void>((resolve, reject) => {
      const stream = (c["Watch"] as (req: Buffer) => grpc.ClientReadableStream<Buffer>)(Buffer.from("x"));
      stream.on("data", () => undefined);
      stream.on("end", resolve);
      stream.on("error", reject);
    });

    const text = await metrics.text();
    expect(text).toContain("# HELP drover_grpc_server_handled_total ");
    expect(text).toContain("# TYPE drover_grpc_server_handling_seconds histogram");
    const handled = (method: string, code: string) =>
      sample(text, "drover_grpc_server_handled_total", { service: "test.Probe", method, code });
    const count = (method: string) =>
      sample(text, "drover_grpc_server_handling_seconds_count", { service: "test.Probe", method });
    expect(handled("Echo", "OK")).toBe(2);
    expect(handled("Echo", "NOT_FOUND")).toBe(1);
    expect(handled("Watch", "OK")).toBe(1);
    expect(count("Echo")).toBe(3);
    expect(count("Watch")).toBe(1);
  });
});
