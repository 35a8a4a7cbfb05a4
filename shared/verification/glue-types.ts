import type { ColumnMetadata } from './metadata.ts';

/**
 * The Glue/Athena (Hive DDL) type of an exported column. The Parquet type RDS wrote
 * (`expectedExportedType`) decides, since a declared type that does not match the file fails at
 * query time; the source type is only the fallback when RDS gave none. The mapping is documented in
 * docs/verify-and-catalog.md (from the RDS data-type pages in shared/reference/rds-export-output.md).
 */
export interface GlueColumnType {
  type: string;
  /** No rule knew the column's types: declared string; check the Parquet footer. */
  guessed?: true;
}

export function glueTypeOf(column: Pick<ColumnMetadata, 'originalType' | 'exportedType'>): GlueColumnType {
  return (column.exportedType && fromExportedType(column.exportedType)) || (column.originalType && fromOriginalType(column.originalType)) || { type: 'string', guessed: true };
}

/** `int32`, `int64`, `double`, `boolean`, `binary (UTF8)`, `INT64 (TIMESTAMP_MICROS)`, `FIXED_LEN_BYTE_ARRAY(9) (DECIMAL(20,0))`, … */
function fromExportedType(raw: string): GlueColumnType | undefined {
  const text = raw.trim().toLowerCase();
  const decimal = /decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(text);
  if (decimal) return Number(decimal[1]) <= 38 ? { type: `decimal(${decimal[1]},${decimal[2]})` } : { type: 'string' };
  if (/timestamp/.test(text)) return { type: 'timestamp' };
  if (/\((utf8|string|enum|json)\)/.test(text) || ['string', 'utf8'].includes(text)) return { type: 'string' };
  if (/\bdate\b/.test(text)) return { type: 'date' };
  if (/^int(32|_32)?\b/.test(text) || text === 'int') return { type: 'int' };
  if (/^int(64|_64)\b/.test(text) || text === 'long') return { type: 'bigint' };
  if (/^(double)\b/.test(text)) return { type: 'double' };
  if (/^(float)\b/.test(text)) return { type: 'float' };
  if (/^bool(ean)?\b/.test(text)) return { type: 'boolean' };
  if (/^(binary|byte_array|fixed_len_byte_array)\b/.test(text)) return { type: 'binary' };
  return undefined;
}

/** MySQL/MariaDB and PostgreSQL source types, as the RDS data-type tables convert them. */
function fromOriginalType(raw: string): GlueColumnType | undefined {
  const text = raw.trim().toLowerCase();
  const unsigned = /\bunsigned\b/.test(text);
  const base = text.replace(/\bunsigned\b|\bzerofill\b/g, '').replace(/\(.*?\)/, '').trim();
  if (base === 'bigint' || base === 'bigserial' || base === 'int8') return { type: unsigned ? 'decimal(20,0)' : 'bigint' };
  if (['int', 'integer', 'mediumint', 'serial', 'int4'].includes(base)) return { type: unsigned && base !== 'serial' ? 'bigint' : 'int' };
  if (['smallint', 'tinyint', 'year', 'smallserial', 'int2'].includes(base)) return { type: 'int' };
  if (base === 'decimal' || base === 'numeric') {
    // MySQL writes DECIMAL(p,s) up to 38 digits as a Parquet decimal; PostgreSQL writes NUMERIC as a string.
    const precision = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(text);
    return precision && Number(precision[1]) <= 38 ? { type: `decimal(${precision[1]},${precision[2] ?? 0})` } : { type: 'string' };
  }
  if (['float', 'double', 'double precision', 'float8'].includes(base)) return { type: 'double' };
  if (base === 'real' || base === 'float4') return { type: 'float' };
  if (base === 'boolean' || base === 'bool') return { type: 'boolean' };
  if (base === 'datetime' || base === 'timestamp') return { type: 'timestamp' };
  if (/^(bytea|binary|varbinary|(tiny|medium|long)?blob|bit|geometry|point|linestring|polygon)/.test(base) && !/^bit varying/.test(base)) return { type: 'binary' };
  // Text, char, enum, set, JSON, dates and times (MySQL DATE/TIME, every PostgreSQL date/time type), UUID, arrays, …
  return { type: 'string' };
}
