import { performance } from "node:perf_hooks";
import { type ServiceDefinition, status } from "@grpc/grpc-js";
import type { Counter, Histogram } from "prom-client";
import type { AgentMetrics } from "./metrics.js";

/** What grpc-js hands a handler: a call (events for streams), and a callback for unary answers. */
type AnyHandler = (call: CallEvents, callback?: AnyCallback) => void;
type AnyCallback = (error: { code?: number } | null, ...rest: unknown[]) => void;
interface CallEvents {
  once(event: string, listener: (arg?: { code?: number }) => void): unknown;
}

/**
 * One method's series, looked up once (labels() hashes the label values; a call then only
 * increments).
 */
interface MethodSeries {
  readonly ok: Counter.Internal;
  readonly seconds: Histogram.Internal<string>;
  readonly service: string;
  readonly method: string;
}

/** Call durations range from a Raft append (sub-millisecond) to a long poll or a stream's life. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const perAgent = new WeakMap<AgentMetrics, GrpcServerMetrics>();

/**
 * drover_grpc_server_handled_total{service,method,code} and
 * drover_grpc_server_handling_seconds{service,method}, recorded by wrapping a service's handlers
 * (not by a grpc-js server interceptor, which costs a closure per received message: the Raft
 * transport streams tens of thousands of messages a second). A unary call counts when it answers;
 * a stream counts once, when it ends, with its whole life as its duration.
 */
export class GrpcServerMetrics {
  private readonly handled: Counter;
  private readonly seconds: Histogram;

  private constructor(metrics: AgentMetrics) {
    this.handled = metrics.counter(
      "drover_grpc_server_handled_total",
      "gRPC calls this agent answered, by service, method and status code (streams count once, when they end)",
      ["service", "method", "code"],
    );
    this.seconds = metrics.histogram(
      "drover_grpc_server_handling_seconds",
      "Seconds from a gRPC call's start to its answer (for streams: the stream's life), by service and method",
      ["service", "method"],
      BUCKETS,
    );
  }

  /** The one instance of an agent's registry (services register at different places). */
  static of(metrics: AgentMetrics): GrpcServerMetrics {
    let instance = perAgent.get(metrics);
    if (instance === undefined) {
      instance = new GrpcServerMetrics(metrics);
      perAgent.set(metrics, instance);
    }
    return instance;
  }

  /** `handlers` with every method of `definition` measured; its OK counters exist from here on, at 0. */
  instrument<H extends object>(definition: ServiceDefinition, handlers: H): H {
    const out: Record<string, AnyHandler> = {};
    for (const [name, handler] of Object.entries(handlers as Record<string, AnyHandler>)) {
      const method = definition[name];
      if (method === undefined) {
        out[name] = handler;
        continue;
      }
      const series = this.series(method.path);
      out[name] = method.responseStream
        ? this.streamHandler(series, handler)
        : this.unaryHandler(series, handler);
    }
    return out as H;
  }

  /** Unary and client-streaming calls: they answer through the callback. */
  private unaryHandler(series: MethodSeries, handler: AnyHandler): AnyHandler {
    return (call, callback) => {
      const started = performance.now();
      handler(call, (error, ...rest) => {
        this.record(series, started, error === null ? status.OK : (error.code ?? status.UNKNOWN));
        (callback as AnyCallback)(error, ...rest);
      });
    };
  }

  /** Server-streaming and bidirectional calls: they end with end(), an 'error' status or a cancel. */
  private streamHandler(series: MethodSeries, handler: AnyHandler): AnyHandler {
    return (call) => {
      const started = performance.now();
      let ended = false;
      const end = (code: number): void => {
        if (ended) return;
        ended = true;
        this.record(series, started, code);
      };
      call.once("finish", () => end(status.OK));
      call.once("error", (error) => end(error?.code ?? status.UNKNOWN));
      call.once("cancelled", () => end(status.CANCELLED));
      handler(call);
    };
  }

  private record(series: MethodSeries, started: number, code: number): void {
    series.seconds.observe((performance.now() - started) / 1000);
    if (code === status.OK) series.ok.inc();
    else this.handled.labels(series.service, series.method, codeName(code)).inc();
  }

  private series(path: string): MethodSeries {
    // path is "/package.Service/Method".
    const slash = path.lastIndexOf("/");
    const service = path.slice(1, slash);
    const method = path.slice(slash + 1);
    const ok = this.handled.labels(service, method, "OK");
    // Shown at 0 from the start, so that rate() sees the first call.
    ok.inc(0);
    return {
      ok,
      seconds: this.seconds.labels(service, method),
      service,
      method,
    };
  }
}

/** The status code's name (NOT_FOUND); codes outside gRPC's set (a bounded label) are UNKNOWN. */
function codeName(code: number): string {
  return (status as unknown as Record<number, string | undefined>)[code] ?? "UNKNOWN";
}
