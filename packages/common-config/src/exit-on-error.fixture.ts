// A tiny "server" entry point for exit-on-error.test.ts, run in a child process through tsx.
import { z } from 'zod';
import { httpSettings, loadSettingsOrExit, runtimeSettings } from './index.js';

const dbSettings = z.object({
  DATABASE_URL: z.url().optional().meta({
    description: 'PostgreSQL connection string',
    example: 'postgres://app:app-password@db:5432/shop',
    secret: true,
    requiredInProduction: true,
  }),
});

const settings = loadSettingsOrExit({ fragments: [runtimeSettings, httpSettings, dbSettings] });
process.stdout.write(
  `listening on ${settings.HOST}:${settings.PORT} with ${JSON.stringify(settings)}\n`,
);
