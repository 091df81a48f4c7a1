/** The lab API's data types: the corpus, judgments and queries the UI hands the workers, and what loading them found. */
export interface LabData {
  /** corpus files as dropped or bundled (Chorus N.json.zip, .json, .jsonl, .csv) */
  corpus: { name: string; bytes: Uint8Array }[];
  /** product text template, e.g. "{title} {attr_t_product_type} {supplier}"; default DEFAULT_TEXT_TEMPLATE */
  template?: string;
  /** Quepid-style judgments CSV (query, docid, rating) */
  judgments?: { name: string; text: string };
  /** imported queries (generated-queries.jsonl, plain text, query-log CSV) */
  queries?: { name: string; text: string };
  /** keep only the judged products plus the first N others (a quick run on a slow device); default all */
  sliceOthers?: number;
}

export interface DataSummary {
  products: number;
  /** products with text under the template (the searchable corpus) */
  documents: number;
  judgedQueries: number;
  judgments: number;
  importedQueries: number;
  /** everything dropped or suspicious, each naming the file and record/line */
  rejected: string[];
  warnings: string[];
  /** the first few documents, for a preview table */
  preview: { id: string; text: string }[];
}

/** The product text template of the Chorus catalogue. */
export const DEFAULT_TEXT_TEMPLATE = '{title} {supplier}';
