/** Nest injection token of the validated {@link GatewayConfig}. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
/** Nest injection token of the gateway's JsonLogger. */
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');
