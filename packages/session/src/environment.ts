/**
 * What a session reads from its surroundings when `trustEnv` is on: environment variables and,
 * where the runtime has files, `.netrc`. The session imports no Node module, so a runtime
 * with files passes its own (the `niquests` package passes one on node:fs).
 */
export interface Environment {
  /** The value of an environment variable, or `undefined`. */
  get(name: string): string | undefined;
  /** The text of a file, or `undefined` when it is missing or unreadable. */
  readFile(path: string): string | undefined;
  /** The user's home directory, where `.netrc` is looked for. */
  readonly home: string | undefined;
}

interface ProcessLike {
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The environment of a runtime without file access: variables from `process.env` where the
 * runtime has one (Node, Bun, Deno's compatibility layer), no files.
 */
export const runtimeEnvironment: Environment = {
  get(name) {
    return (globalThis as { process?: ProcessLike }).process?.env?.[name];
  },
  readFile() {
    return undefined;
  },
  home: undefined,
};

/** Reads a variable in either case, the lower-case one first, as Requests and curl do. */
export function getEitherCase(environment: Environment, name: string): string | undefined {
  return environment.get(name.toLowerCase()) || environment.get(name.toUpperCase()) || undefined;
}

/**
 * The CA bundle the environment names for `verify: true`: `REQUESTS_CA_BUNDLE`, then
 * `CURL_CA_BUNDLE` (Requests' order), then `SSL_CERT_FILE` (OpenSSL's, which Python's default
 * context reads); empty values are ignored.
 */
export function environmentCaBundle(environment: Environment): string | undefined {
  for (const name of ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"]) {
    const value = environment.get(name);
    if (value) return value;
  }
  return undefined;
}
