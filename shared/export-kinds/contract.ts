import type { RequestDefaults } from '../accounts/members.ts';
import type { ExportKind, ExportRequest, RequestOf } from './request.ts';
import type { ExportStatus } from './status.ts';

/** One reading of an export task, in the same terms for every kind of export. */
export interface ExportObservation {
  exportId: string;
  sourceArn: string;
  status: ExportStatus;
  /** 0-100. */
  percent: number;
  /** When the service says the task started working (RDS TaskStartTime), ISO-8601. */
  taskStartTime?: string;
  taskEndTime?: string;
  failureCause?: string;
  warning?: string;
  extractedDataGb?: number;
}

/** The execution input of a kind (without its `kind` field) → its request; InvalidExportRequest names every problem at once. */
export type BuildRequest<K extends ExportKind> = (input: unknown, defaults: RequestDefaults, requestedAt: Date) => RequestOf<K>;

/**
 * One implementation per export kind; the workflow knows nothing else of the service. `exportId`
 * of describe and cancel is the id start returned: ours for RDS, the service's for EC2 and ADS.
 */
export interface ExportProvider<Request = ExportRequest> {
  /** Starts the export, or adopts the task already started for this request (a duplicate). */
  start(request: Request): Promise<ExportObservation & { adopted: boolean }>;
  describe(exportId: string): Promise<ExportObservation>;
  /** Asks the service to cancel; a task that already ended is returned as it ended. */
  cancel(exportId: string): Promise<ExportObservation>;
}

/**
 * What the workflow knows of one export kind besides its provider and its input: the few facts in
 * which kinds differ. One per kind folder (<kind>/kind.ts), found through the registry (registry.ts).
 * The provider is not here: it is loaded on first use (providers.ts), so that a function that never
 * starts, polls or cancels an export of a kind never bundles that kind's SDK client. Nor is the input
 * (inputs.ts): only admission reads an execution input, and its parsers (every kind's schemas and
 * rules) would otherwise ride in the cold start of every function that asks a kind's facts.
 */
export interface ExportKindDefinition<K extends ExportKind> {
  kind: K;
  /** What its exports are called in the CLI's listings ("EC2 image exports"). */
  title: string;
  /** Its exports take one of the account's export slots (RDS's quota of concurrent export tasks). */
  takesExportSlot: boolean;
  /** The service announces the export's end with an event, which ends a wait early (RDS export events). */
  sendsExportEvents: boolean;
  /** After its end the export is verified and catalogued (shared/verification/). */
  verifiedAfterEnd: boolean;
  /** The service can stop one of its exports (ADS cannot: the workflow only stops following it). */
  cancellable: boolean;
  /** Where the export lands, for the notifications; undefined when there is nothing to link to (yet). */
  s3UriOf(request: RequestOf<K>, taskId: string | undefined): string | undefined;
}

/** One export task as a listing shows it (the CLI's list, watch and cancel), whatever service runs it. */
export interface ListedExport {
  exportId: string;
  /** The exported resource (an RDS or AMI ARN); empty when the service names none (ADS). */
  source: string;
  /** RDS: SNAPSHOT or CLUSTER, as DescribeExportTasks reports it. */
  sourceType?: string;
  /** The workflow's statuses (status.ts) when the service's status is known; else the service's own, uppercased. */
  status: string;
  /** 0-100; null when the service reports none. */
  percent: number | null;
  startedAt?: string;
  endedAt?: string;
  /** s3://bucket/prefix the export writes to. */
  s3?: string;
  failureCause?: string;
}

/** What a kind's listing accepts as a filter NAME=…. */
export interface FilterSpec {
  /** For --help and error messages. */
  meaning: string;
  /** The values the API accepts (after `normalise`); others are refused. */
  allowed?: readonly string[];
  /** e.g. statuses: the RDS API wants them in lowercase. */
  normalise?: (value: string) => string;
}

/** The query of one listing, already validated against the kind. */
export interface ListQuery {
  /** Filter name → values, names and values as the API wants them. */
  filters: Map<string, string[]>;
  sourceType?: string;
  pageSize?: number;
}

/** One page of the service's answer: every task on it, and whether it matches the query. */
export interface ListingPage {
  entries: Array<{ item: ListedExport; matches: boolean }>;
  /** The token that asks for the next page; undefined on the last page. */
  next: string | undefined;
}

/**
 * One kind's listing of its export tasks: the service's paginated describe call, with the errors
 * named as the kind's provider names them. One per kind folder (<kind>/listing.ts), found through
 * listings.ts. The CLI's paging (--max-items, --starting-token) is the same over every kind.
 */
export interface ExportListing {
  name: ExportKind;
  /** The request's pagination token parameter (RDS Marker, EC2 NextToken): the key in --starting-token. */
  tokenKey: string;
  /** What the API allows for its page size parameter. */
  pageSize: { min: number; max: number };
  filters: Readonly<Record<string, FilterSpec>>;
  /** Values of a source type, when the API has one. */
  sourceTypes?: readonly string[];
  /** The filter that selects one export by its id. */
  idFilter: string;
  /** Pages from `from` (a token of this kind, undefined: the first page) on. */
  pages(query: ListQuery, from: string | undefined): AsyncIterable<ListingPage>;
  /** One export by its id (what `watch ID` and `cancel ID` look up); ExportTaskNotFound when there is none. */
  describe(exportId: string): Promise<ListedExport>;
  /** Every export that has not ended, all pages. */
  running(): Promise<ListedExport[]>;
}
