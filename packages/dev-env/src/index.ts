export { HUB_JS_DOMAIN, type HubAndLeaves, startHubAndLeaves } from "./broker.ts";
export {
  DevEnvError,
  type DevEnvErrorCode,
  GraphQLRequestError,
  type GraphQLResponseError,
} from "./errors.ts";
export { findNatsServerBinary, NatsServer, type NatsServerOptions } from "./nats-server.ts";
export {
  CLI_BUNDLE,
  cliEntry,
  type DeliveredWatcher,
  type GqlOptions,
  type GqlResult,
  type LogLevel,
  type NodeMode,
  type NodeOverrides,
  REPO_ROOT,
  type TestDatabase,
  TestNetwork,
  type TestNetworkOptions,
  type TestNode,
  type TestOrg,
} from "./network.ts";
export { type GqlSubscription, type SubscribeRequest, type SubscriptionResult, subscribeSse } from "./sse.ts";
export { freePort, sleep, type WaitForOptions, waitFor } from "./wait.ts";
