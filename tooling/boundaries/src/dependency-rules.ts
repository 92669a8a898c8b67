/** The fields of a package.json that the dependency direction reads. */
export interface Manifest {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const PORTABLE_BASE = ["@nq/models"];

/**
 * The dependency direction of DESIGN.md: package (or name pattern) → the workspace
 * packages it may depend on at run time. `"*"` allows every workspace package.
 */
export const ALLOWED_WORKSPACE_DEPENDENCIES: ReadonlyArray<readonly [RegExp, readonly string[] | "*"]> = [
  [/^@nq\/models$/, []],
  [/^@nq\/(cookies|auth|retry)$/, PORTABLE_BASE],
  [/^@nq\/session$/, ["@nq/models", "@nq/cookies", "@nq/auth", "@nq/retry"]],
  // Not in DESIGN.md's arrows: the protocol router is handed its transports as factories and
  // imports none, but verifies its TLS handshakes with @nq/transport-h1's exported TLS options so
  // a routed connection is checked exactly as one h1 opens itself. Listed before the rule below,
  // which would otherwise match it.
  [/^@nq\/transport-router$/, ["@nq/models", "@nq/transport-h1"]],
  [/^@nq\/transport-[\w-]+$/, PORTABLE_BASE],
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
