// Lint for the console: typescript-eslint's recommended type-aware rules, the React hooks rules, and
// the layers of bulletproof-react: src/lib and src/components → src/features → src/app, and no
// feature imports another (what several features need lives in src/lib or src/components).
import { readdirSync } from "node:fs";
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const FEATURES = readdirSync(new URL("./src/features", import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

const NO_APP = { group: ["@/app", "@/app/*"], message: "Only src/app composes the features; nothing imports it." };
const NO_PARENT = {
  group: ["../*", "../"],
  message: "Leave a folder by the alias (@/features/<this feature>/…, @/components/…, @/lib/…), so a crossing is visible.",
};

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/lib/api/schema.d.ts"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "no-console": "error",
      "@typescript-eslint/no-deprecated": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
    },
  },
  // Shared layers import no feature and not the app.
  {
    files: ["src/lib/**/*.{ts,tsx}", "src/components/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@/features", "@/features/*"], message: "Shared code (src/lib, src/components) imports no feature." },
            NO_APP,
          ],
        },
      ],
    },
  },
  // A feature imports the shared layers and itself, never another feature.
  ...FEATURES.map((feature) => ({
    files: [`src/features/${feature}/**/*.{ts,tsx}`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/features/*", `!@/features/${feature}`, `!@/features/${feature}/**`],
              message: `${feature} may not import another feature: move what both need to src/lib or src/components, or compose them in src/app.`,
            },
            NO_APP,
            NO_PARENT,
          ],
        },
      ],
    },
  })),
);
