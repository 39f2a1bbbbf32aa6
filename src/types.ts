/** Shapes shared by the pure modules (files, graph, targets, plans). */

/** The minimum the graph needs to know about a revision. */
export interface GraphNode {
  id: string;
  /** Parent ids; empty for a root (`-- parent: base`). */
  parents: readonly string[];
}

/** One of the two files of a revision, as read from disk. */
export interface RevisionFile {
  /** Path as given to the loader (relative to the working folder when possible). */
  path: string;
  /** Normalised text: UTF-8 BOM removed, CRLF turned into LF. Line numbers refer to it. */
  text: string;
  /** `sha256:<hex>` of the normalised text. */
  checksum: string;
  /** false when the file has `-- transaction: false`. */
  transactional: boolean;
  /** 1-based line at which the SQL body starts (after the headers). */
  bodyLine: number;
}

/** A revision as defined by its pair of files. */
export interface Revision extends GraphNode {
  id: string;
  /** The file-name part after the id, e.g. `add_users`; may be empty. */
  slug: string;
  message: string;
  parents: readonly string[];
  up: RevisionFile;
  down: RevisionFile;
  /** The reason given by `-- irreversible:` in the down file, if any. */
  irreversible?: string;
}
