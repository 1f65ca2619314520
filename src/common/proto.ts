import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type GrpcObject, loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";

/**
 * The one way to load a gRPC contract from proto/. The options here must match the ones
 * scripts/gen-proto.mjs generates types with (numbers for 64-bit ints, strings for enums,
 * defaults filled in, oneof names), so that the generated `__Output` types describe what arrives.
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "proto");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("proto/ folder not found above the running module");
}

const cache = new Map<string, GrpcObject>();

/** Loads proto/<file> and returns its grpc object (cast to the generated ProtoGrpcType by callers). */
export function loadProto(file: string): GrpcObject {
  let loaded = cache.get(file);
  if (loaded === undefined) {
    const dir = protoDir();
    loaded = loadPackageDefinition(
      loadSync(join(dir, file), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] }),
    );
    cache.set(file, loaded);
  }
  return loaded;
}
