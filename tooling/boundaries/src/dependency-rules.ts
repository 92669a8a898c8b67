/** The fields of a package.json that the dependency direction reads. */
export interface Manifest {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const PORTABLE_BASE = ["@nq/models"];

// What every Node transport shares (content decoding, the body queue, TLS options, sockets and
// connection info, error codes): the transports and the router build on it, and it builds on
// @nq/models alone, so no transport ever depends on another.
const NODE_TRANSPORT_BASE = ["@nq/models", "@nq/transport-node"];

/**
 * The dependency direction of DESIGN.md: package (or name pattern) → the workspace
 * packages it may depend on at run time. `"*"` allows every workspace package.
 */
export const ALLOWED_WORKSPACE_DEPENDENCIES: ReadonlyArray<readonly [RegExp, readonly string[] | "*"]> = [
  [/^@nq\/models$/, []],
  [/^@nq\/(cookies|auth|retry)$/, PORTABLE_BASE],
  [/^@nq\/session$/, ["@nq/models", "@nq/cookies", "@nq/auth", "@nq/retry"]],
  // Not in DESIGN.md's arrows: the Node plumbing the transports share sits between them and
  // @nq/models. Listed before the transport rule below, which would otherwise match it.
  [/^@nq\/transport-node$/, PORTABLE_BASE],
  // The transports, and the protocol router, which is handed its transports as factories and
  // imports none: it verifies its TLS handshakes with @nq/transport-node's TLS options, as the
  // transports verify theirs.
  [/^@nq\/transport-[\w-]+$/, NODE_TRANSPORT_BASE],
  [/^niquests$/, "*"],
  // Not in DESIGN.md's arrows: the kit for transport authors builds on the Transport interface.
  [/^@nq\/testkit$/, "*"],
];

/** One dependency that goes against the direction, or a package with no rule. */
export interface DependencyViolation {
  readonly from: string;
  readonly to: string | null;
  readonly reason: string;
}

/**
 * Checks the `dependencies` and `peerDependencies` of each workspace manifest against
 * {@link ALLOWED_WORKSPACE_DEPENDENCIES}. A package without a rule is a violation too, so a
 * new package cannot slip past the check.
 */
export function checkDependencyDirection(
  manifests: readonly Manifest[],
  rules: typeof ALLOWED_WORKSPACE_DEPENDENCIES = ALLOWED_WORKSPACE_DEPENDENCIES,
): DependencyViolation[] {
  const workspace = new Set(manifests.map((m) => m.name));
  const violations: DependencyViolation[] = [];
  for (const manifest of manifests) {
    const rule = rules.find(([pattern]) => pattern.test(manifest.name));
    if (!rule) {
      violations.push({
        from: manifest.name,
        to: null,
        reason: "no dependency rule: add one to dependency-rules.ts",
      });
      continue;
    }
    const allowed = rule[1];
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ];
    for (const name of new Set(names)) {
      if (!workspace.has(name) || allowed === "*" || allowed.includes(name)) continue;
      violations.push({
        from: manifest.name,
        to: name,
        reason: `${manifest.name} may depend only on ${allowed.length ? allowed.join(", ") : "no workspace package"}`,
      });
    }
  }
  return violations;
}
