// Usage: node check.mjs FILE.json
// Validates an OpenAPI document with @apidevtools/swagger-parser (schema and
// semantic checks: $refs resolve, path parameters are declared, operation ids
// are unique). Exits 1 with the validator's message when it is not valid.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node check.mjs FILE.json");
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths`);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
