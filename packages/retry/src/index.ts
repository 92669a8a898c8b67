export {
  TimeoutConfiguration,
  type TimeoutConfigurationInit,
  type TimeoutInput,
} from "./timeout-configuration.js";
