import { isBuiltin } from "node:module";
import { relative } from "node:path";
import { build, type Message, type Plugin } from "esbuild";

/** One import that breaks a boundary. */
export interface Violation {
  /** The file that imports, relative to the working directory. */
  readonly importer: string;
  /** The import specifier as written. */
  readonly specifier: string;
  readonly reason: string;
}

/** What {@link findViolations} checks. */
export interface ImportRules {
  /** Package name → file that stands for it (a workspace package's `src/index.ts`). */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * Returns why a specifier may not be imported, or `null` when it may. Called for every
   * import, before aliases and before resolution.
   */
  readonly forbid?: (specifier: string) => string | null;
}

// esbuild calls our resolver again from build.resolve(); this marks that inner call.
const INNER = Symbol("inner resolve");

/**
 * Bundles the entry points as a browser would (esbuild, `platform: "browser"`), following
 * relative imports, workspace packages (through `aliases`) and npm dependencies, and returns
 * every import of a Node builtin that does not resolve for the browser, plus every import
 * `forbid` rejects. A package's `browser` field that replaces a builtin is honoured.
 */
export async function findViolations(
  entryPoints: readonly string[],
  rules: ImportRules = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const aliases = rules.aliases ?? {};
  const record = (importer: string, specifier: string, reason: string): void => {
    violations.push({ importer: relative(process.cwd(), importer) || importer, specifier, reason });
  };

  const boundaries: Plugin = {
    name: "nq-boundaries",
    setup(bundler) {
      bundler.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === INNER) return undefined;
        const reason = rules.forbid?.(args.path) ?? null;
        if (reason !== null) {
          record(args.importer, args.path, reason);
          return { path: args.path, external: true };
        }
        const alias = aliases[args.path];
        if (alias !== undefined) return { path: alias };
        if (!isBuiltin(args.path)) return undefined;
        // A dependency may map a builtin to a browser stand-in (package.json "browser"), or
        // an npm polyfill of the same name may be installed: only what stays unresolved fails.
        const resolved = await bundler.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: INNER,
        });
        if (resolved.errors.length === 0 && !resolved.external) {
          return { path: resolved.path, namespace: resolved.namespace, sideEffects: resolved.sideEffects };
        }
        record(args.importer, args.path, "Node builtin: not available in browsers and edge runtimes");
        return { path: args.path, external: true };
      });
    },
  };

  let errors: readonly Message[];
  try {
    errors = (
      await build({
        entryPoints: [...entryPoints],
        bundle: true,
        write: false,
        platform: "browser",
        format: "esm",
        outdir: "out",
        logLevel: "silent",
        plugins: [boundaries],
      })
    ).errors;
  } catch (error) {
    errors = (error as { errors?: readonly Message[] }).errors ?? [{ text: String(error) } as Message];
  }
  // Linking runs after every import was resolved, so a missing export (a type error the
  // typecheck task reports) cannot hide an import; any other error might, and is fatal.
  const fatal = errors.filter((e) => !e.text.startsWith("No matching export"));
  if (fatal.length > 0) {
    throw new Error(
      `esbuild could not bundle ${entryPoints.join(", ")}:\n${fatal.map((e) => e.text).join("\n")}`,
    );
  }
  return dedupe(violations);
}

function dedupe(violations: readonly Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.importer}\0${v.specifier}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Formats violations one a line, for an assertion message. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.importer}: imports "${v.specifier}" (${v.reason})`).join("\n");
}
