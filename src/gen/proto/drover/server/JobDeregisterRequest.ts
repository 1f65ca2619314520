// Original file: /work/main/proto/server.proto


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
