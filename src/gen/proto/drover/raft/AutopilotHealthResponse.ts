// Original file: proto/raft.proto

import type { AutopilotServerHealth as _drover_raft_AutopilotServerHealth, AutopilotServerHealth__Output as _drover_raft_AutopilotServerHealth__Output } from '../../drover/raft/AutopilotServerHealth.js';

export interface AutopilotHealthResponse {
  'healthy'?: (boolean);
  'failureTolerance'?: (number);
  'servers'?: (_drover_raft_AutopilotServerHealth)[];
}

export interface AutopilotHealthResponse__Output {
  'healthy': (boolean);
  'failureTolerance': (number);
  'servers': (_drover_raft_AutopilotServerHealth__Output)[];
}
