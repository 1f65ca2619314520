// Original file: proto/server.proto


export interface JobEvaluateRequest {
  'namespace'?: (string);
  'jobId'?: (string);
}

export interface JobEvaluateRequest__Output {
  'namespace': (string);
  'jobId': (string);
}
