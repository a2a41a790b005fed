/**
 * Submit every fixture offer to a running service (`npm start`) through GraphQL, each as its
 * seller, and print each application's progress until its pipeline state (`applicationStatus`)
 * is SENT, then the stored report URLs.
 * First one application carries the sandbox's moderation fail marker and is rejected.
 *
 * Usage: npm run demo
 *   DEMO_API_URL     the service's base URL. Default: http://127.0.0.1:4000
 *   DEMO_OFFERS_DIR  a folder of offer JSON files. Default: ../shared/fixtures/offers beside the repository
 *   DEMO_TIMEOUT_S   how long to wait for every application, in seconds. Default: 180
 */
import fs from 'node:fs';
import path from 'node:path';
import { MODERATION_FAIL_MARKER } from '../src/integrations/moderation/sandbox.js';

const apiUrl = (process.env.DEMO_API_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
const offersDir = process.env.DEMO_OFFERS_DIR ?? path.resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'offers');
const timeoutMs = Number(process.env.DEMO_TIMEOUT_S ?? 180) * 1000;

interface Offer {
  name: string;
  json: Record<string, any>;
  sellerId: string;
}

interface ApplicationView {
  /** The Relay global id. */
  id: string;
  applicationId: string;
  vin: string;
  status: string;
  applicationStatus: string;
  moderationStatus: string | null;
  waitingData: string[];
  proAutoReport: string | null;
  cmeEvaluation: string | null;
  cmeInspection: string | null;
}

const APPLICATION_FIELDS = 'id applicationId vin status applicationStatus moderationStatus waitingData proAutoReport cmeEvaluation cmeInspection';

async function graphql<T>(sellerId: string, query: string, variables: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': sellerId, 'accept-language': 'en' },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new Error(`The service at ${apiUrl} is not reachable (${(error as Error).message}); start it with \`npm start\` or set DEMO_API_URL.`);
  }
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (!body.data) {
    throw new Error(`GraphQL request failed with HTTP ${response.status}: ${body.errors?.map((error) => error.message).join('; ')}`);
  }
  return body.data;
}

function loadOffers(): Offer[] {
  if (!fs.existsSync(offersDir)) {
    throw new Error(`The offers folder ${offersDir} does not exist; set DEMO_OFFERS_DIR to a folder of offer JSON files.`);
  }
  return fs
    .readdirSync(offersDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(fs.readFileSync(path.join(offersDir, file), 'utf8'));
      return { name: path.basename(file, '.json'), json, sellerId: String(json.user_ref).replace(/^user:/, '') };
    });
}

/**
 * Create an application. A VIN that still has an active application from an earlier demo run
 * gets that one withdrawn first, so the demo can run again on the same database.
 */
async function submit(offer: Offer, inspectPlace: string): Promise<ApplicationView> {
  const input = { offer: offer.json, inspectTime: new Date(Date.now() + 2 * 86_400_000).toISOString(), inspectPlace };
  for (let attempt = 1; ; attempt += 1) {
    const { createApplication: result } = await graphql<{ createApplication: any }>(
      offer.sellerId,
      `mutation Create($input: CreateApplicationInput!) {
        createApplication(input: $input) {
          __typename
          ... on CreateApplicationPayload { application { ${APPLICATION_FIELDS} } }
          ... on Error { code message }
        }
      }`,
      { input },
    );
    if (result.__typename === 'CreateApplicationPayload') {
      return result.application;
    }
    if (result.code === 'ACTIVE_APPLICATION_EXISTS' && attempt === 1) {
      await withdrawActive(offer);
      continue;
    }
    throw new Error(`${offer.name}: createApplication failed with ${result.code}: ${result.message}`);
  }
}

async function withdrawActive(offer: Offer): Promise<void> {
  const { myApplications } = await graphql<{ myApplications: { edges: { node: { id: string; applicationId: string; vin: string } }[] } }>(
    offer.sellerId,
    `query Mine { myApplications(first: 100, status: [NEW, WAITING_INSPECTION, INSPECTED]) { edges { node { id applicationId vin } } } }`,
    {},
  );
  const vin = String(offer.json.documents.vin).toUpperCase();
  for (const { node } of myApplications.edges.filter((edge) => edge.node.vin === vin)) {
    await graphql(offer.sellerId, `mutation Withdraw($id: ID!) { withdrawApplication(id: $id) { __typename } }`, { id: node.id });
    console.log(`${offer.name}: withdrew application ${node.applicationId} left by an earlier run.`);
  }
}

async function fetchApplication(offer: Offer, id: string): Promise<ApplicationView> {
  const { application } = await graphql<{ application: any }>(
    offer.sellerId,
    `query Application($id: ID!) { application(id: $id) { __typename ... on Application { ${APPLICATION_FIELDS} } ... on Error { code message } } }`,
    { id },
  );
  if (application.__typename !== 'Application') {
    throw new Error(`${offer.name}: reading application ${id} failed with ${application.code}: ${application.message}`);
  }
  return application;
}

function describe(application: ApplicationView): string {
  const waiting = application.waitingData.length > 0 ? `, waiting for ${application.waitingData.join(', ')}` : '';
  const moderation = application.moderationStatus ? `, moderation ${application.moderationStatus}` : '';
  return `status ${application.status}, applicationStatus ${application.applicationStatus}${moderation}${waiting}`;
}

/** Print each change of the applications until every one reaches a status `done` accepts. */
async function follow(tracked: { offer: Offer; id: string; label: string }[], done: (application: ApplicationView) => boolean): Promise<Map<string, ApplicationView>> {
  const last = new Map<string, string>();
  const finished = new Map<string, ApplicationView>();
  const deadline = Date.now() + timeoutMs;
  while (finished.size < tracked.length) {
    if (Date.now() > deadline) {
      const pending = tracked.filter((entry) => !finished.has(entry.id)).map((entry) => `${entry.label} (${last.get(entry.id)})`);
      throw new Error(`These applications did not finish within ${timeoutMs / 1000} s: ${pending.join('; ')}. Check the service's log.`);
    }
    for (const entry of tracked.filter((candidate) => !finished.has(candidate.id))) {
      const application = await fetchApplication(entry.offer, entry.id);
      const line = describe(application);
      if (last.get(entry.id) !== line) {
        last.set(entry.id, line);
        console.log(`${new Date().toISOString().slice(11, 19)}  ${entry.label.padEnd(28)} ${line}`);
      }
      if (done(application)) {
        finished.set(entry.id, application);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return finished;
}

async function main(): Promise<void> {
  const offers = loadOffers();
  console.log(`Submitting ${offers.length} offers from ${offersDir} to ${apiUrl}.`);
  console.log(
    'Each line shows `status`, the end-to-end status that the seller sees and the other auction services share, ' +
      'and `applicationStatus`, the pipeline state of this service. A handed-on lot has applicationStatus SENT ' +
      'and stays status INSPECTED until the lots service reports the auction.\n',
  );

  const rejectedOffer = offers[0]!;
  console.log(`1. ${rejectedOffer.name} with "${MODERATION_FAIL_MARKER}" in the inspection place, which the moderation sandbox rejects:`);
  const rejected = await submit(rejectedOffer, `${rejectedOffer.json.seller?.location?.address ?? 'Moscow'} ${MODERATION_FAIL_MARKER}`);
  await follow([{ offer: rejectedOffer, id: rejected.id, label: `${rejectedOffer.name} #${rejected.applicationId}` }], (application) =>
    ['REJECTED', 'SENT'].includes(application.applicationStatus),
  );

  console.log(`\n2. Every offer as its seller, until applicationStatus SENT:`);
  const tracked = [];
  for (const offer of offers) {
    const application = await submit(offer, offer.json.seller?.location?.address ?? 'Moscow');
    tracked.push({ offer, id: application.id, label: `${offer.name} #${application.applicationId}` });
  }
  const finished = await follow(tracked, (application) => ['SENT', 'REJECTED', 'WITHDRAWN'].includes(application.applicationStatus));

  console.log('\n3. Stored reports:');
  for (const entry of tracked) {
    const application = finished.get(entry.id)!;
    console.log(`${entry.label}  status ${application.status}, applicationStatus ${application.applicationStatus}`);
    console.log(`  ProAuto:         ${application.proAutoReport ?? '-'}`);
    console.log(`  CME evaluation:  ${application.cmeEvaluation ?? '-'}`);
    console.log(`  CME inspection:  ${application.cmeInspection ?? '-'}`);
  }
  const notSent = tracked.filter((entry) => finished.get(entry.id)!.applicationStatus !== 'SENT');
  if (notSent.length > 0) {
    throw new Error(`${notSent.map((entry) => entry.label).join(', ')} ended without reaching applicationStatus SENT.`);
  }
}

main().catch((error: unknown) => {
  console.error(`The demo failed: ${(error as Error).message}`);
  process.exit(1);
});
