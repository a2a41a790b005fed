/**
 * CARFAX, the source of the "ProAuto" vehicle-history report: order a report by VIN, then poll
 * it by request id until every required block is present.
 */
export interface CarfaxClient {
  orderReport(order: { vin: string; applicationId: string }): Promise<CarfaxOrder>;
  getReport(requestId: string): Promise<CarfaxReport>;
}

export interface CarfaxOrder {
  requestId: string;
  /** Present when CARFAX had the report ready at once. */
  report?: CarfaxReport;
}

export interface CarfaxReport {
  requestId: string;
  vin: string;
  /** Report sections by name, such as `owners` or `accidents`; missing ones are still being prepared. */
  blocks: Record<string, unknown>;
}
