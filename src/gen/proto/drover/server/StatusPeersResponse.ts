// Original file: proto/server.proto

import type { ServerAddress as _drover_server_ServerAddress, ServerAddress__Output as _drover_server_ServerAddress__Output } from '../../drover/server/ServerAddress.js';

export interface StatusPeersResponse {
  'peers'?: (_drover_server_ServerAddress)[];
}

export interface StatusPeersResponse__Output {
  'peers': (_drover_server_ServerAddress__Output)[];
}
