// Original file: proto/server.proto


export interface JobDeregisterRequest {
  'namespace'?: (string);
  'jobId'?: (string);
  'purge'?: (boolean);
}

export interface JobDeregisterRequest__Output {
  'namespace': (string);
  'jobId': (string);
  'purge': (boolean);
}
