// ESLint flat config: Next.js's own rule sets (core web vitals + TypeScript), run by `make lint`.
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypeScript from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTypeScript,
  globalIgnores([".next/**", "node_modules/**", "next-env.d.ts", "test-results/**"]),
]);
