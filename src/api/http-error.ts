/** An HTTP answer other than 200 that a handler chooses on purpose (409 with a body, 413, …). */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    /** JSON body to send instead of `{"error": message}`. */
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}
