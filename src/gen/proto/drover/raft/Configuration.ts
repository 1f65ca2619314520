// Original file: proto/raft.proto

import type { ConfigurationServer as _drover_raft_ConfigurationServer, ConfigurationServer__Output as _drover_raft_ConfigurationServer__Output } from '../../drover/raft/ConfigurationServer.js';
import type { Long } from '@grpc/proto-loader';

export interface Configuration {
  'index'?: (number | string | Long);
  'servers'?: (_drover_raft_ConfigurationServer)[];
}

export interface Configuration__Output {
  'index': (number);
  'servers': (_drover_raft_ConfigurationServer__Output)[];
}
