// Original file: proto/server.proto


export interface NodeUpdateEligibilityRequest {
  'nodeId'?: (string);
  'eligibility'?: (string);
}

export interface NodeUpdateEligibilityRequest__Output {
  'nodeId': (string);
  'eligibility': (string);
}
