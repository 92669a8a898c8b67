export {
  type CookieAttributes,
  type CookieJarInit,
  type CookieRecord,
  RequestsCookieJar,
} from "./requests-cookie-jar.js";
