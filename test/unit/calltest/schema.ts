/** Validates a call-test report against calltest/report/report.schema.json (ajv, draft 2020-12). */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const SCHEMA = new URL('../../../calltest/report/report.schema.json', import.meta.url);

const ajv = new Ajv2020({ allErrors: true, strict: true });
// RFC 3339 date-time as Date.prototype.toISOString writes it (ajv-formats is not needed for one).
ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);

/** The schema errors as "path message" lines; empty when the report is valid. */
export function validateReport(report: unknown): string[] {
  if (validate(report)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
