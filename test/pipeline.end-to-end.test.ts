import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOT_HAND_OFF_SCOPE } from '../src/tasks/hand_off_lot.js';
import { fetchReport, startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { insertTestApplication, loadFixtureOffers } from './support/pipeline.js';

let harness: PipelineHarness;

beforeAll(async () => {
  harness = await startPipelineHarness();
  await harness.startWorker();
});

afterAll(async () => {
  await harness?.close();
});

describe('pipeline', () => {
  it.each(loadFixtureOffers().map((offer) => [offer.name, offer] as const))('carries %s to SENT', async (_name, offer) => {
    const created = await insertTestApplication(harness.db, { offer });

    const sent = await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT');

    expect(sent.status).toBe('INSPECTED');
    expect(sent.moderationStatus).toBe('OK');
    expect(sent.waitingData).toEqual([]);
    expect(sent.completedAt).not.toBeNull();

    const evaluation = harness.cme.evaluations.get(sent.cmeEvaluationId!)!;
    const storedEvaluation = await fetchReport(sent.cmeEvaluation!);
    expect(storedEvaluation.body).toEqual(evaluation.documents.evaluation!.body);
    expect(storedEvaluation.contentType).toBe(evaluation.documents.evaluation!.contentType);
    const storedInspection = await fetchReport(sent.cmeInspection!);
    expect(storedInspection.body).toEqual(evaluation.documents.inspection!.body);

    const served = await fetch(`${harness.carfax.url}/v1/reports/${sent.proAutoRequestId}`).then((response) => response.json());
    const { status: _status, ...report } = served as Record<string, unknown>;
    const storedProAuto = await fetchReport(sent.proAutoReport!);
    expect(new TextDecoder().decode(storedProAuto.body)).toBe(JSON.stringify(report));
    expect(storedProAuto.contentType).toBe('application/json');

    expect(harness.lots.lots.filter((lot) => lot.lot.applicationId === created.id.toString())).toHaveLength(1);
    const record = await harness.db.prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope: LOT_HAND_OFF_SCOPE, key: created.id.toString() } } });
    expect(record).not.toBeNull();
  });
});
