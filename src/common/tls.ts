import { readFileSync } from "node:fs";
import { checkServerIdentity, createSecureContext, type PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { ValidationError } from "./errors.js";

/**
 * An agent's `tls { … }` block (Nomad's names in the config file, these in code). `rpc` turns on
 * mutual TLS for every gRPC listener and channel of the agent, `http` HTTPS for its HTTP API.
 */
export interface TlsConfig {
  http: boolean;
  rpc: boolean;
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  /** Peers that claim to be servers must present a certificate for `server.<region>.drover`. */
  verifyServerHostname: boolean;
  /** The HTTPS API requires a client certificate signed by the CA. */
  verifyHttpsClient: boolean;
}

export const TLS_DISABLED: TlsConfig = {
  http: false,
  rpc: false,
  caFile: undefined,
  certFile: undefined,
  keyFile: undefined,
  verifyServerHostname: false,
  verifyHttpsClient: false,
};

/** What a certificate says its holder is (Nomad's roles; `cli` is for people and scripts). */
export type TlsRole = "server" | "client" | "cli";

/** The DNS name a certificate of `role` carries in its subject alternative names. */
export function tlsRoleName(role: TlsRole, region: string): string {
  return `${role}.${region}.drover`;
}

/** The three PEM files an agent reads, read together so a key always matches its certificate. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads and checks the CA, certificate and key files. A missing file, a PEM that does not parse
 * or a key that does not match the certificate is a ValidationError naming the file, so a bad
 * reload leaves the running certificates in place and a bad start fails with one clear line.
 */
export function readTlsMaterial(config: TlsConfig): TlsMaterial {
  const read = (file: string | undefined, option: string): Buffer => {
    if (file === undefined || file === "")
      throw new ValidationError(`${option} is required when TLS is enabled`, "tls");
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ValidationError(`cannot read ${file}: ${(error as Error).message}`, `tls.${option}`);
    }
  };
  const material = {
    ca: read(config.caFile, "ca_file"),
    cert: read(config.certFile, "cert_file"),
    key: read(config.keyFile, "key_file"),
  };
  try {
    createSecureContext(material);
  } catch (error) {
    throw new ValidationError(
      `${config.certFile ?? ""} / ${config.keyFile ?? ""} / ${config.caFile ?? ""}: ${(error as Error).message}`,
      "tls",
    );
  }
  return material;
}

/** The DNS names of a peer certificate's subject alternative names. */
export function certificateDnsNames(cert: PeerCertificate | undefined): string[] {
  const san = cert?.subjectaltname;
  if (san === undefined) return [];
  return san
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice("DNS:".length));
}

/**
 * Feeds grpc-js the agent's current material. grpc-js's certificate-provider credentials
 * (`experimental.createCertificateProvider{Server,Channel}Credentials`) listen to a provider and
 * build a new SecureContext on each update: a server listener calls `setSecureContext()` (new
 * handshakes use the new certificate, established HTTP/2 sessions, the Raft streams among them,
 * continue), and channels use it for their next connection.
 */
class MaterialProvider implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();

  constructor(private material: TlsMaterial) {}

  update(material: TlsMaterial): void {
    this.material = material;
    for (const listener of this.caListeners) listener({ caCertificate: material.ca });
    for (const listener of this.identityListeners)
      listener({ certificate: material.cert, privateKey: material.key });
  }

  // The first update of a new listener is delivered on a microtask, never synchronously: a
  // grpc-js server registers its SecureContext watcher only after it subscribed to the
  // provider, and an update that arrives before that is lost (every handshake is then refused).

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.material.ca });
    });
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener))
        listener({ certificate: this.material.cert, privateKey: this.material.key });
    });
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}

/** Which peers a channel accepts: servers only, or any agent (server or client certificate). */
export type ExpectedPeer = "server" | "agent";

/**
 * Says, for one incoming call, whether only a server may make it (Raft, server-to-server RPC).
 * Called with the method path (`/drover.raft.RaftTransport/Send`) and the call's metadata.
 */
export type ServerOnlyPolicy = (path: string, metadata: grpc.Metadata) => boolean;

/** Told of each call refused for want of a server certificate (the agent logs it). */
export type DeniedCallListener = (denied: { path: string; peer: string; names: string[] }) => void;

/**
 * The TLS identity of one agent process: its material (reloaded on SIGHUP), the gRPC credentials
 * built from it, and the HTTPS options. One per process, because one agent presents one identity.
 */
export class AgentTls {
  private material: TlsMaterial;
  private readonly provider: MaterialProvider;
  private readonly channels = new Map<ExpectedPeer, grpc.ChannelCredentials>();
  private readonly reloadListeners: Array<(material: TlsMaterial) => void> = [];

  constructor(
    readonly config: TlsConfig,
    readonly region: string,
  ) {
    this.material = readTlsMaterial(config);
    this.provider = new MaterialProvider(this.material);
  }

  /** The current material (the HTTPS server's options). */
  current(): TlsMaterial {
    return this.material;
  }

  /**
   * Reads the files again and hands the new material to every listener; a bad file throws and
   * keeps the old material (a half-rotated directory must not take the agent off the network).
   */
  reload(): void {
    const material = readTlsMaterial(this.config);
    this.material = material;
    this.provider.update(material);
    for (const listener of this.reloadListeners) listener(material);
  }

  onReload(listener: (material: TlsMaterial) => void): void {
    this.reloadListeners.push(listener);
  }

  /** True when the peer certificate names a server of this region. */
  isServerCertificate(cert: PeerCertificate | undefined): boolean {
    return certificateDnsNames(cert).includes(tlsRoleName("server", this.region));
  }

  /**
   * Credentials for gRPC channels. The CA is always checked (Node rejects unauthorized peers);
   * the host name is not, as Nomad without verify_server_hostname. With it, the peer must carry
   * the role name instead of the dialled address: `server.<region>.drover`, or for a client agent
   * (a server fetching logs from it) either agent role. One object per kind, so grpc-js shares
   * subchannels among channels to the same address.
   */
  channelCredentials(expected: ExpectedPeer): grpc.ChannelCredentials {
    let credentials = this.channels.get(expected);
    if (credentials === undefined) {
      const roles =
        expected === "server"
          ? [tlsRoleName("server", this.region)]
          : [tlsRoleName("server", this.region), tlsRoleName("client", this.region)];
      const verify = this.config.verifyServerHostname;
      credentials = grpc.experimental.createCertificateProviderChannelCredentials(
        this.provider,
        this.provider,
        {
          checkServerIdentity: (_host, cert) => {
            if (!verify) return undefined;
            const names = certificateDnsNames(cert);
            if (roles.some((role) => names.includes(role))) return undefined;
            return (
              checkServerIdentity(roles[0] as string, cert) ??
              new Error(`peer certificate is not for ${roles.join(" or ")}`)
            );
          },
        },
      );
      this.channels.set(expected, credentials);
    }
    return credentials;
  }

  /**
   * Credentials for a gRPC listener: mutual TLS (a client certificate from the CA is required
   * for the handshake), and with verify_server_hostname the methods `serverOnly` names refuse
   * (PERMISSION_DENIED) a caller whose certificate is not a server's. The check runs on the
   * call, not the handshake, because clients and servers share one listener: only the method
   * tells whether a server is needed.
   */
  serverCredentials(serverOnly: ServerOnlyPolicy, onDenied?: DeniedCallListener): grpc.ServerCredentials {
    const credentials = grpc.experimental.createCertificateProviderServerCredentials(
      this.provider,
      this.provider,
      true,
    );
    if (!this.config.verifyServerHostname) return credentials;
    return grpc.experimental.createServerCredentialsWithInterceptors(credentials, [
      this.serverRoleInterceptor(serverOnly, onDenied),
    ]);
  }

  private serverRoleInterceptor(
    serverOnly: ServerOnlyPolicy,
    onDenied?: DeniedCallListener,
  ): grpc.ServerInterceptor {
    const role = tlsRoleName("server", this.region);
    return (method, call) => {
      const listener = new grpc.ServerListenerBuilder()
        .withOnReceiveMetadata((metadata, next) => {
          if (!serverOnly(method.path, metadata)) return next(metadata);
          const cert = call.getAuthContext()?.sslPeerCertificate;
          if (this.isServerCertificate(cert)) return next(metadata);
          onDenied?.({ path: method.path, peer: call.getPeer(), names: certificateDnsNames(cert) });
          call.sendStatus({
            code: grpc.status.PERMISSION_DENIED,
            details: `${method.path} is for servers only: the peer certificate does not name ${role}`,
            metadata: new grpc.Metadata(),
          });
        })
        .build();
      const responder = new grpc.ResponderBuilder().withStart((next) => next(listener)).build();
      return new grpc.ServerInterceptingCall(call, responder);
    };
  }
}

/**
 * The agent's TLS for gRPC, process-wide. Every channel and listener of the process asks here, so
 * that no code path can forget TLS: once an agent sets it, a channel created anywhere in the
 * process (Raft transport, discovery, forwarding, client RPC, log fetches) is mutual TLS.
 */
let rpcTls: AgentTls | undefined;

/** Sets (or clears) the process's gRPC TLS; the agent calls it once at start. */
export function useRpcTls(tls: AgentTls | undefined): void {
  rpcTls = tls;
}

export function currentRpcTls(): AgentTls | undefined {
  return rpcTls;
}

/** Credentials for a new gRPC channel to a peer of the expected kind. */
export function rpcChannelCredentials(expected: ExpectedPeer = "server"): grpc.ChannelCredentials {
  return rpcTls === undefined ? grpc.credentials.createInsecure() : rpcTls.channelCredentials(expected);
}

/**
 * Channel options to go with rpcChannelCredentials(): with TLS, the name sent as SNI is the peer's
 * role name, not the dialled IP address (RFC 6066 forbids IP addresses there, and Node warns).
 * The certificate check itself is the credentials' (role names, not the address).
 */
export function rpcChannelOptions(expected: ExpectedPeer = "server"): grpc.ChannelOptions {
  if (rpcTls === undefined) return {};
  const role = expected === "server" ? "server" : "client";
  return { "grpc.ssl_target_name_override": tlsRoleName(role, rpcTls.region) };
}

/** Credentials for a gRPC listener; `serverOnly` names the methods only servers may call. */
export function rpcServerCredentials(
  serverOnly: ServerOnlyPolicy,
  onDenied?: DeniedCallListener,
): grpc.ServerCredentials {
  return rpcTls === undefined
    ? grpc.ServerCredentials.createInsecure()
    : rpcTls.serverCredentials(serverOnly, onDenied);
}
