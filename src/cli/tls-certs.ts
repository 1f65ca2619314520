import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";
import { ValidationError } from "../common/errors.js";
import { type TlsRole, tlsRoleName } from "../common/tls.js";

/** A certificate and its private key, both PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

export interface CaOptions {
  /** Days the CA is valid (Nomad: 5 years). */
  days?: number;
  commonName?: string;
  /** The moment validity starts (tests pass it; the CLI the current time). */
  now?: Date;
}

export interface CertOptions {
  role: TlsRole;
  region?: string;
  /** Days the certificate is valid (Nomad: 1 year). */
  days?: number;
  additionalDnsNames?: readonly string[];
  additionalIpAddresses?: readonly string[];
  now?: Date;
}

const RSA_BITS = 2048;

/** A random positive serial number (the high bit cleared: DER integers are signed). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString("hex");
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  // A minute back: a peer whose clock is slightly behind still accepts a fresh certificate.
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 24 * 3600 * 1000);
}

/** A new self-signed CA (`drover tls ca create`). */
export function createCa(options: CaOptions = {}): PemPair {
  const keys = forge.pki.rsa.generateKeyPair({ bits: RSA_BITS });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.now ?? new Date(), options.days ?? 1825);
  const subject = [
    { name: "commonName", value: options.commonName ?? `Drover Agent CA ${cert.serialNumber.slice(0, 8)}` },
    { name: "organizationName", value: "Drover" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

/**
 * A certificate for a server, a client or the CLI, signed by `ca` (`drover tls cert create`).
 * Its subject alternative names: the role name (`server.<region>.drover`), `localhost` and
 * 127.0.0.1 (as Nomad), and the additional names and addresses given. Servers and clients both
 * accept connections (gRPC, HTTPS) and make them, so their certificates serve both purposes; the
 * CLI's only authenticates a client.
 */
export function createCert(ca: PemPair, options: CertOptions): PemPair {
  const region = options.region ?? "global";
  if (!/^[a-zA-Z0-9-]+$/.test(region))
    throw new ValidationError(
      `region must be letters, digits and dashes, got ${JSON.stringify(region)}`,
      "-region",
    );
  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  try {
    caCert = forge.pki.certificateFromPem(ca.cert);
    caKey = forge.pki.privateKeyFromPem(ca.key) as forge.pki.rsa.PrivateKey;
  } catch (error) {
    throw new ValidationError(`cannot read the CA: ${(error as Error).message}`, "-ca / -key");
  }
  const ips = ["127.0.0.1", ...(options.additionalIpAddresses ?? [])];
  for (const ip of ips) {
    if (isIP(ip) === 0)
      throw new ValidationError(`not an IP address: ${JSON.stringify(ip)}`, "-additional-ipaddress");
  }
  const roleName = tlsRoleName(options.role, region);
  const dnsNames = [...new Set([roleName, "localhost", ...(options.additionalDnsNames ?? [])])];
  const keys = forge.pki.rsa.generateKeyPair({ bits: RSA_BITS });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.now ?? new Date(), options.days ?? 365);
  cert.setSubject([{ name: "commonName", value: roleName }]);
  cert.setIssuer(caCert.subject.attributes);
  const agent = options.role !== "cli";
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: agent, clientAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        ...[...new Set(ips)].map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}
