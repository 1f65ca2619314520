// Original file: proto/server.proto


export interface DeploymentUpdateRequest {
  'deploymentId'?: (string);
  'action'?: (string);
  'all'?: (boolean);
  'groups'?: (string)[];
  'healthyAllocIds'?: (string)[];
  'unhealthyAllocIds'?: (string)[];
}

export interface DeploymentUpdateRequest__Output {
  'deploymentId': (string);
  'action': (string);
  'all': (boolean);
  'groups': (string)[];
  'healthyAllocIds': (string)[];
  'unhealthyAllocIds': (string)[];
}
