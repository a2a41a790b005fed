/** The kinds of report kept in S3, each under the key `${applicationId}/${reportType}`. */
export type ReportType = 'pro-auto' | 'cme-evaluation' | 'cme-inspection';

export interface ReportStore {
  /** Store a report, replacing one of the same type, and return its public URL. */
  put(applicationId: string, reportType: ReportType, body: Uint8Array, contentType: string): Promise<string>;
  /** Delete every report of an application, for data-erasure requests. */
  deleteAll(applicationId: string): Promise<void>;
}
