import { type MigrationInput, migrationChecksum } from '../admin/index.js';

/** The migration that creates test/prisma/schema.prisma's tables (as `migrate dev` writes it). */
export const testSchemaMigrations: MigrationInput[] = [
  {
    name: '20240101000000_init',
    sql: `-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "balance" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Note" (
    "id" SERIAL NOT NULL,
    "accountId" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Note_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Account_email_key" ON "Account"("email");

-- AddForeignKey
ALTER TABLE "Note" ADD CONSTRAINT "Note_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Raw table for raw-SQL tests
CREATE TABLE "audit" ("id" BIGSERIAL PRIMARY KEY, "what" TEXT NOT NULL);
`,
  },
];

export { migrationChecksum };
