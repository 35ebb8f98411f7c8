// Slice boundaries, checked by `pnpm check:boundaries` (part of `pnpm test` through turbo).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'slice-internals',
      comment:
        'A slice imports only its own files and the contract.ts of another slice (events, schemas, types).',
      severity: 'error',
      from: { path: '^src/slices/([^/]+)/' },
      to: {
        path: '^src/slices/[^/]+/',
        pathNot: ['^src/slices/$1/', '^src/slices/[^/]+/contract[.]ts$'],
      },
    },
    {
      name: 'contract-is-leaf',
      comment: 'A contract.ts holds schemas and types only: no imports of app or slice code.',
      severity: 'error',
      from: { path: '^src/slices/[^/]+/contract[.]ts$' },
      to: { path: '^src/', pathNot: '^src/slices/[^/]+/contract[.]ts$' },
    },
    {
      name: 'undeclared-package',
      comment: 'Every package imported is declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'unresolvable',
      comment: 'An import that resolves to nothing (a typo or a missing install).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
    },
  },
};
