import { parse } from 'csv-parse/sync';
import type { SampleSheet, SampleSheetRow } from '../domain/manifest/samplesheet.js';
import { usageError } from './exit-codes.js';

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Reads a CSV (or TSV) sample sheet into rows that remember the line they start on, so that a
 * problem can be shown where a person edits it. Quoted fields may hold the delimiter, quotes
 * (doubled) and line breaks; a UTF-8 byte order mark and blank lines are ignored.
 */
export function readSampleSheet(text: string, delimiter: ',' | '\t' = ','): SampleSheet {
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      bom: true,
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    throw usageError(
      `the sample sheet is not valid ${delimiter === ',' ? 'CSV' : 'TSV'}: ${(error as Error).message}`,
    );
  }
  // csv-parse counts lines up to a record's end; a quoted line break moves its start up.
  const rows: SampleSheetRow[] = records.map(({ record, info }) => ({
    line: info.lines - record.reduce((breaks, cell) => breaks + (cell.match(/\n/g)?.length ?? 0), 0),
    cells: record,
  }));
  const [header, ...samples] = rows;
  if (header === undefined)
    throw usageError(
      'the sample sheet is empty: expected a header sample,fastq_1,fastq_2 and one row per sample',
    );
  return { header: header.cells, headerLine: header.line, rows: samples };
}
