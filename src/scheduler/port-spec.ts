import { ValidationError } from "../common/errors.js";
import { MAX_PORT } from "../fsm/alloc-usage.js";

/**
 * Parses a reserved-ports specification as Nomad's client config spells it ("22,80,8000-8100")
 * into the list of ports it names. An empty string names no port.
 */
export function parsePortSpec(spec: string, where = "reserved ports"): number[] {
  const ports: number[] = [];
  const trimmed = spec.trim();
  if (trimmed === "") return ports;
  for (const part of trimmed.split(",")) {
    const piece = part.trim();
    if (piece === "") continue;
    const dash = piece.indexOf("-");
    if (dash < 0) {
      ports.push(parsePort(piece, where));
      continue;
    }
    const low = parsePort(piece.slice(0, dash), where);
    const high = parsePort(piece.slice(dash + 1), where);
    if (high < low) throw new ValidationError(`port range ${JSON.stringify(piece)} is reversed`, where);
    for (let port = low; port <= high; port++) ports.push(port);
  }
  return ports;
}

function parsePort(text: string, where: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new ValidationError(`invalid port ${JSON.stringify(text)}`, where);
  const port = Number(trimmed);
  if (port < 1 || port > MAX_PORT)
    throw new ValidationError(`port ${port} out of range 1..${MAX_PORT}`, where);
  return port;
}
