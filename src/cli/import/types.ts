/**
 * What the importer reads: a file of billing-system records (NDJSON, or CSV with the header in
 * README "Bulk import"), streamed one record at a time with where it ends in the file, so a batch's
 * checkpoint can say where to continue.
 */

export type ImportFormat = 'ndjson' | 'csv';

/** Where to start reading: the first byte and its line number (the file's start, or a checkpoint). */
export interface ReadFrom {
  offset: number;
  line: number;
}

/** A record as read, before validation: its fields, or why it could not be read as a record (with what could be read of it). */
export type SourceInput = { input: Record<string, unknown> } | { error: { field: string; reason: string }; input?: Record<string, unknown> };

/** One record of the file: the line it starts on, and the byte and line after it. */
export type SourceItem = SourceInput & { line: number; end: number; nextLine: number };

export interface FileInfo {
  size: number;
  /** sha256 of the first 64 KiB and the size: the same file, grown or edited, is another file. */
  fingerprint: string;
  /** The file's first bytes (its line ending, its CSV header). */
  head: Buffer;
}
