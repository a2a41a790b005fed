import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLotSink, HttpLotsSink, TelegramLotSink } from '../src/integrations/lot-sink/client.js';
import type { Lot } from '../src/integrations/lot-sink/contract.js';
import { formatLotMessage, TELEGRAM_MAX_TEXT_LENGTH } from '../src/integrations/lot-sink/message.js';
import { LotsSandbox, TelegramSandbox } from '../src/integrations/lot-sink/sandbox.js';

const botToken = '123456:test-bot-token';
const lot: Lot = {
  applicationId: '42',
  idempotencyKey: 'lot-42',
  offerId: '1109876543-c0ffee01',
  vin: 'WBAZV41070L123458',
  mark: 'BMW',
  model: 'X5',
  year: 2012,
  price: 1_890_000,
  mileage: 212_000,
  region: 'Москва',
  inspectTime: '2026-12-10T12:00:00Z',
  inspectPlace: 'Москва, Ленинградский проспект, 31',
  reports: {
    proAuto: 'http://127.0.0.1:4568/auction-reports/42/pro-auto',
    cmeEvaluation: 'http://127.0.0.1:4568/auction-reports/42/cme-evaluation',
    cmeInspection: null,
  },
};
let lots: LotsSandbox;
let telegram: TelegramSandbox;

beforeAll(async () => {
  lots = new LotsSandbox();
  telegram = new TelegramSandbox({ botToken });
  await Promise.all([lots.listen(), telegram.listen()]);
});

afterAll(async () => {
  await Promise.all([lots.close(), telegram.close()]);
});

describe('lots service sink', () => {
  it('creates one lot per idempotency key', async () => {
    const sink = new HttpLotsSink({ baseUrl: lots.url });
    const first = await sink.handOff(lot);
    const second = await sink.handOff(lot);
    expect(second.reference).toBe(first.reference);
    expect(lots.lots.filter((recorded) => recorded.idempotencyKey === 'lot-42')).toHaveLength(1);
  });

  it('creates a new lot for a new key', async () => {
    const sink = new HttpLotsSink({ baseUrl: lots.url });
    const first = await sink.handOff({ ...lot, idempotencyKey: 'lot-43-a' });
    const second = await sink.handOff({ ...lot, idempotencyKey: 'lot-43-b' });
    expect(second.reference).not.toBe(first.reference);
  });

  it('records the lot as sent', async () => {
    const sink = new HttpLotsSink({ baseUrl: lots.url });
    await sink.handOff({ ...lot, idempotencyKey: 'lot-44' });
    expect(lots.lots.find((recorded) => recorded.idempotencyKey === 'lot-44')?.lot).toEqual({ ...lot, idempotencyKey: 'lot-44' });
  });

  it('rejects a request without a key', async () => {
    const response = await fetch(`${lots.url}/v1/lots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lot) });
    expect(response.status).toBe(400);
  });
});

describe('Telegram sink', () => {
  it('sends the lot to the chat', async () => {
    const sink = new TelegramLotSink({ baseUrl: telegram.url, botToken, chatId: '-1000000000001' });
    const { reference } = await sink.handOff(lot);
    const message = telegram.messages.at(-1)!;
    expect(message.chatId).toBe('-1000000000001');
    expect(message.text).toBe(formatLotMessage(lot));
    expect(reference).toBe(`-1000000000001:${message.messageId}`);
  });

  it('posts in the Bot API format', async () => {
    const sink = new TelegramLotSink({ baseUrl: telegram.url, botToken, chatId: '-1000000000001' });
    await sink.handOff(lot);
    const call = telegram.server.calls.at(-1)!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe(`/bot${botToken}/sendMessage`);
  });

  it('rejects a wrong token once', async () => {
    const sink = new TelegramLotSink({ baseUrl: telegram.url, botToken: '1:wrong', chatId: '-1', minRetryDelayMs: 10 });
    const before = telegram.server.calls.length;
    await expect(sink.handOff(lot)).rejects.toMatchObject({ kind: 'rejected', status: 401 });
    expect(telegram.server.calls.length - before).toBe(1);
  });
});

describe('formatLotMessage', () => {
  const text = formatLotMessage(lot);

  it('names the car and its VIN', () => {
    expect(text).toContain('Новый лот для аукциона: заявка № 42');
    expect(text).toContain('Автомобиль: BMW X5, 2012 г.');
    expect(text).toContain('VIN: WBAZV41070L123458');
  });

  it('formats numbers the Russian way', () => {
    expect(text).toMatch(/Пробег: 212\s000 км/);
    expect(text).toMatch(/Цена продавца: 1\s890\s000 ₽/);
  });

  it('shows the inspection in Moscow time', () => {
    expect(text).toContain('Осмотр: 10.12.2026, 15:00 (МСК), Москва, Ленинградский проспект, 31');
  });

  it('lists the report links', () => {
    expect(text).toContain(`ПроАвто: ${lot.reports.proAuto}`);
    expect(text).toContain(`Оценка CME: ${lot.reports.cmeEvaluation}`);
    expect(text).toContain('Осмотр CME: нет');
  });

  it('leaves out unknown details', () => {
    const bare = formatLotMessage({ ...lot, mark: undefined, model: undefined, year: undefined, price: undefined, mileage: undefined, region: undefined });
    expect(bare).toContain('Автомобиль: не указан');
    expect(bare).not.toContain('Пробег');
    expect(bare).not.toContain('Цена');
  });

  it('stays within the Telegram limit', () => {
    const long = formatLotMessage({ ...lot, inspectPlace: 'а'.repeat(10_000) });
    expect(long.length).toBe(TELEGRAM_MAX_TEXT_LENGTH);
  });
});

describe('createLotSink', () => {
  it('picks the lots service by default', () => {
    expect(createLotSink(loadConfig({ LOTS_URL: lots.url })).kind).toBe('lots');
  });

  it('picks Telegram when configured', () => {
    expect(createLotSink(loadConfig({ LOT_SINK: 'telegram' })).kind).toBe('telegram');
  });

  it('requires LOTS_URL for the lots service', () => {
    expect(() => createLotSink(loadConfig({}))).toThrow(/LOTS_URL is missing/);
  });
});
