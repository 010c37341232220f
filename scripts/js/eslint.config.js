// The console's modules: browser code, ES modules, eslint's recommended rules plus a few that
// keep the code plain (no var, no ==, no unused names).
import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser,
    },
    rules: {
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always'],
      'no-unused-vars': ['error', { args: 'after-used' }],
      'no-implicit-globals': 'error',
    },
  },
];
