// Better Auth's own migration planner, run with the config in auth.mjs.
//
//   node migrate-check.mjs            print {"toBeCreated": [...], "toBeAdded": [...], ...}
//   node migrate-check.mjs --apply    run the migrations, then print the plan that was applied
//   node migrate-check.mjs --sql      print the SQL Better Auth would run (compileMigrations)
//
// Needs DATABASE_URL (postgres://... or postgresql+asyncpg://...). BETTER_AUTH_SECRET and
// BETTER_AUTH_URL default to throwaway values: they do not affect the schema.
import { getMigrations } from "better-auth/db/migration";
import { buildAuthOptions } from "./auth.mjs";

const env = {
	...process.env,
	BETTER_AUTH_SECRET: process.env.BETTER_AUTH_SECRET || "migrate-check-secret-0123456789abcdef",
	BETTER_AUTH_URL: process.env.BETTER_AUTH_URL || "http://127.0.0.1:3000",
};
const args = new Set(process.argv.slice(2));
const options = buildAuthOptions(env);

function columnNames(fields) {
	return Object.entries(fields).map(([key, field]) => field.fieldName || key);
}

let exitCode = 0;
try {
	const plan = await getMigrations(options, { throwOnUnsafe: false });
	const report = {
		toBeCreated: plan.toBeCreated.map((t) => t.table),
		toBeAdded: plan.toBeAdded.map((t) => ({ table: t.table, fields: columnNames(t.fields) })),
		toBeAddedIndexes: (plan.toBeAddedIndexes || []).map((i) => ({ table: i.table, name: i.name })),
		unsafeChanges: plan.unsafeChanges || [],
		schemaProblems: plan.schemaProblems || [],
	};
	if (args.has("--sql")) {
		process.stdout.write(`${await plan.compileMigrations()}\n`);
	} else {
		if (args.has("--apply")) {
			await plan.runMigrations();
			report.applied = true;
		}
		process.stdout.write(`${JSON.stringify(report)}\n`);
	}
} catch (error) {
	process.stderr.write(`migrate-check failed: ${error?.stack || error}\n`);
	exitCode = 1;
} finally {
	await options.database.end();
}
process.exit(exitCode);
