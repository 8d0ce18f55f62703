import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

/** Imports that only the I/O edges of the system may use. */
const IO_PACKAGES = [
  '@nestjs/*',
  '@grpc/*',
  'grpc-health-check',
  'kafkajs',
  'onnxruntime-node',
  'onnxruntime-*',
];
/** Only libs/runtime (type:runtime) touches onnxruntime, as transformers.js keeps it in one backend file. */
const ORT = ['onnxruntime-node', 'onnxruntime-*'];
/** Transport and messaging: the runtime layer stays usable outside a service (benchmarks, tools). */
const TRANSPORT_PACKAGES = ['@nestjs/*', '@grpc/*', 'grpc-health-check', 'kafkajs'];
/**
 * Tracing belongs to the platform (libs/telemetry and its users): the layers below report what
 * they measure through plain hooks and events (a model load, a progress event) instead.
 */
const TELEMETRY_PACKAGES = ['@opentelemetry/*'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      'libs/proto/src/generated/**',
      'models/**',
      'tools/models/**',
      '**/vitest.config.ts',
    ],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Layers (type:*): apps → platform → modality → runtime → core/util; api is generated code.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:platform',
                'type:modality',
                'type:runtime',
                'type:core',
                'type:util',
                'type:api',
              ],
              bannedExternalImports: ORT,
            },
            {
              sourceTag: 'type:platform',
              onlyDependOnLibsWithTags: [
                'type:platform',
                'type:runtime',
                'type:core',
                'type:util',
                'type:api',
              ],
              bannedExternalImports: ORT,
            },
            {
              sourceTag: 'type:modality',
              onlyDependOnLibsWithTags: ['type:runtime', 'type:core', 'type:util'],
              bannedExternalImports: [...IO_PACKAGES, ...TELEMETRY_PACKAGES],
            },
            {
              sourceTag: 'type:runtime',
              onlyDependOnLibsWithTags: ['type:runtime', 'type:core', 'type:util'],
              bannedExternalImports: [...TRANSPORT_PACKAGES, ...TELEMETRY_PACKAGES],
            },
            { sourceTag: 'type:api', onlyDependOnLibsWithTags: ['type:api'] },
            // Deployment checks (infra/): clients of the services, like the CLI.
            {
              sourceTag: 'type:deploy',
              onlyDependOnLibsWithTags: ['type:platform', 'type:util', 'type:api'],
            },
            {
              sourceTag: 'type:core',
              onlyDependOnLibsWithTags: ['type:core'],
              bannedExternalImports: [...IO_PACKAGES, ...TELEMETRY_PACKAGES],
            },
            {
              sourceTag: 'type:util',
              onlyDependOnLibsWithTags: ['type:util'],
              bannedExternalImports: [...IO_PACKAGES, ...TELEMETRY_PACKAGES],
            },
            // Scopes: a modality's libs and app see only themselves and shared code, never another modality.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:timeseries',
              onlyDependOnLibsWithTags: ['scope:timeseries', 'scope:shared'],
            },
            { sourceTag: 'scope:image', onlyDependOnLibsWithTags: ['scope:image', 'scope:shared'] },
            { sourceTag: 'scope:video', onlyDependOnLibsWithTags: ['scope:video', 'scope:shared'] },
            { sourceTag: 'scope:audio', onlyDependOnLibsWithTags: ['scope:audio', 'scope:shared'] },
            { sourceTag: 'scope:shape', onlyDependOnLibsWithTags: ['scope:shape', 'scope:shared'] },
            // The gateway reaches every modality through the generated API only (proto3 JSON over the
            // compiled descriptors), never through a modality's libs.
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:shared'] },
            // The CLI and the deployment checks are clients of every modality's API.
            {
              sourceTag: 'scope:deploy',
              onlyDependOnLibsWithTags: ['scope:shared'],
            },
            {
              sourceTag: 'scope:cli',
              onlyDependOnLibsWithTags: [
                'scope:shared',
                'scope:timeseries',
                'scope:image',
                'scope:video',
                'scope:audio',
                'scope:shape',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
