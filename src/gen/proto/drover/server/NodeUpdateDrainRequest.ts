// Original file: proto/server.proto


export interface NodeUpdateDrainRequest {
  'nodeId'?: (string);
  'drainStrategy'?: (Buffer | Uint8Array | string);
  'markEligible'?: (boolean);
}

export interface NodeUpdateDrainRequest__Output {
  'nodeId': (string);
  'drainStrategy': (Buffer);
  'markEligible': (boolean);
}
