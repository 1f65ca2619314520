// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface AutopilotServerHealth {
  'id'?: (string);
  'address'?: (string);
  'voter'?: (boolean);
  'leader'?: (boolean);
  'lastContactMs'?: (number | string);
  'lastIndex'?: (number | string | Long);
  'lastTerm'?: (number | string | Long);
  'healthy'?: (boolean);
  'stableSinceMs'?: (number | string);
}

export interface AutopilotServerHealth__Output {
  'id': (string);
  'address': (string);
  'voter': (boolean);
  'leader': (boolean);
  'lastContactMs': (number);
  'lastIndex': (number);
  'lastTerm': (number);
  'healthy': (boolean);
  'stableSinceMs': (number);
}
