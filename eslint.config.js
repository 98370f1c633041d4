// Lint rules: type-aware checks (no floating promises) and the layer boundaries from docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureLayer = (layer) => ({
  files: [`${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [{
        group: ['**/storage/**', '**/workers/**', '**/api/**', '**/cli/**'],
        message: `${layer}/ is pure logic: it must not import storage, workers, api or cli.`,
      }],
    }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'var/**', 'coverage/**', 'bench/out/**', 'test-results/**', 'web/vendor/**', 'eslint.config.js', 'bin/**', 'scripts/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  { files: ['web/**/*.js'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { document: 'readonly', window: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', Node: 'readonly', setTimeout: 'readonly', console: 'readonly', sessionStorage: 'readonly', URL: 'readonly', FormData: 'readonly', AbortController: 'readonly', TextDecoderStream: 'readonly' } } },
  pureLayer('pipeline'),
  pureLayer('models'),
);
