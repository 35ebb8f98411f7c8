// `pnpm gen slice <name>`: a new vertical slice in apps/api/src/slices/<name>/.
import type { PlopTypes } from '@turbo/gen';

const SLICE_NAME = /^[a-z][a-z0-9-]{1,30}$/;

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  plop.setGenerator('slice', {
    description: 'A vertical slice of apps/api: plugin, contract, one route and its test',
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'Slice name (kebab-case, e.g. billing)',
        validate: (value: string) =>
          SLICE_NAME.test(value) || 'kebab-case: a-z, 0-9 and "-", starting with a letter',
      },
    ],
    actions: [
      'apps/api/src/slices/{{kebabCase name}}/index.ts',
      'apps/api/src/slices/{{kebabCase name}}/contract.ts',
      'apps/api/src/slices/{{kebabCase name}}/get-status.ts',
      'apps/api/src/slices/{{kebabCase name}}/get-status.test.ts',
    ].map((path) => ({
      type: 'add',
      path: `{{ turbo.paths.root }}/${path}`,
      templateFile: `templates/slice/${path.split('/').at(-1)}.hbs`,
    })),
  });
}
