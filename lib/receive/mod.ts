/**
 * The receive path's public surface: the webhook handler, routes and their secrets, the
 * request path, the request record, and the deadline helpers the stores reuse.
 */
export * from "./deadline.ts";
export * from "./event_key.ts";
export * from "./read_body.ts";
export * from "./request_path.ts";
export * from "./request_record.ts";
export * from "./route.ts";
export * from "./routes.ts";
export * from "./secret_rotation.ts";
export * from "./verify_delivery.ts";
export * from "./webhook_handler.ts";
