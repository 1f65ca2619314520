// Public surface of src/api: the HTTP API server and its Nomad-compatible /v1 routes.
export { HttpError } from "./http-error.js";
export {
  type ApiRequest,
  type ApiResponse,
  type Handler,
  type HttpApiOptions,
  HttpApiServer,
} from "./http-server.js";
export { Router } from "./router.js";
export { UiFiles } from "./ui-static.js";
export { type AgentInfo, type V1Deps, v1Router } from "./v1-routes.js";
