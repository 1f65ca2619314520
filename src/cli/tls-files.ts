import type { TlsRole } from "../common/tls.js";

/** The file names `drover tls` writes, as Nomad's (`global-server-nomad.pem`). */
export const CA_FILE = "drover-agent-ca.pem";
export const CA_KEY_FILE = "drover-agent-ca-key.pem";

export function certFileNames(role: TlsRole, region: string): { cert: string; key: string } {
  return { cert: `${region}-${role}-drover.pem`, key: `${region}-${role}-drover-key.pem` };
}
