import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PartnerSandbox, type PartnerSandboxOptions } from '../partner-sandbox.js';
import { notFound, type SandboxReply, type SandboxRequest } from '../sandbox.js';
import { parseRequestBody } from '../sandbox-input.js';
import type { Lot } from './contract.js';
import { TELEGRAM_MAX_TEXT_LENGTH } from './message.js';

export interface RecordedLot {
  lotId: string;
  idempotencyKey: string;
  lot: Lot;
}

const lotSchema = z.object({
  applicationId: z.string().min(1),
  idempotencyKey: z.string().min(1),
  offerId: z.string().min(1),
  vin: z.string().min(1),
  mark: z.string().optional(),
  model: z.string().optional(),
  year: z.number().int().optional(),
  price: z.number().optional(),
  mileage: z.number().optional(),
  region: z.string().optional(),
  inspectTime: z.string().min(1),
  inspectPlace: z.string(),
  reports: z.object({ proAuto: z.string().nullable(), cmeEvaluation: z.string().nullable(), cmeInspection: z.string().nullable() }),
});

/**
 * The lots service played by us. `POST /v1/lots` needs an `Idempotency-Key` header: the first
 * request with a key creates a lot (201), later ones return the same lot id (200) and record nothing.
 */
export class LotsSandbox extends PartnerSandbox {
  /** Lots created, one per idempotency key. */
  readonly lots: RecordedLot[] = [];

  constructor(options: PartnerSandboxOptions = {}) {
    super('lots', options);
  }

  protected route(request: SandboxRequest): SandboxReply {
    if (request.method !== 'POST' || request.path !== '/v1/lots') {
      return notFound(request);
    }
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0) {
      return { status: 400, json: { error: 'invalid_request', message: 'The Idempotency-Key header is missing.' } };
    }
    const existing = this.lots.find((recorded) => recorded.idempotencyKey === key);
    if (existing) {
      return { status: 200, json: { lotId: existing.lotId } };
    }

    const parsed = parseRequestBody(request, lotSchema);
    if (!parsed.ok) {
      return parsed.reply;
    }
    const recorded: RecordedLot = { lotId: `lot-${randomUUID()}`, idempotencyKey: key, lot: parsed.data as Lot };
    this.lots.push(recorded);
    return { status: 201, json: { lotId: recorded.lotId } };
  }
}

export interface TelegramSandboxOptions extends PartnerSandboxOptions {
  /** The only bot token accepted; others get 401 as from Telegram. */
  botToken: string;
}

export interface RecordedMessage {
  messageId: number;
  chatId: string;
  text: string;
}

const sendMessageSchema = z.object({
  chat_id: z.union([z.string().min(1), z.number().int()]),
  text: z.string().min(1).max(TELEGRAM_MAX_TEXT_LENGTH),
});

/**
 * The Telegram Bot API played by us, for `POST /bot<token>/sendMessage` only. Responses follow
 * the Bot API's shape: `{ok: true, result: Message}`, or `{ok: false, error_code, description}`.
 */
export class TelegramSandbox extends PartnerSandbox {
  /** Messages sent, in order. */
  readonly messages: RecordedMessage[] = [];

  constructor(private readonly options: TelegramSandboxOptions) {
    super('telegram', options);
  }

  protected route(request: SandboxRequest): SandboxReply {
    const match = /^\/bot([^/]+)\/sendMessage$/.exec(request.path);
    if (request.method !== 'POST' || !match) {
      return { status: 404, json: { ok: false, error_code: 404, description: 'Not Found' } };
    }
    if (decodeURIComponent(match[1]!) !== this.options.botToken) {
      return { status: 401, json: { ok: false, error_code: 401, description: 'Unauthorized' } };
    }
    const parsed = parseRequestBody(request, sendMessageSchema);
    if (!parsed.ok) {
      const reason = (parsed.reply.json as { message: string }).message;
      return { status: 400, json: { ok: false, error_code: 400, description: `Bad Request: ${reason}` } };
    }

    const message: RecordedMessage = { messageId: this.messages.length + 1, chatId: String(parsed.data.chat_id), text: parsed.data.text };
    this.messages.push(message);
    return {
      json: {
        ok: true,
        result: { message_id: message.messageId, date: Math.floor(Date.now() / 1000), chat: { id: /^-?\d+$/.test(message.chatId) ? Number(message.chatId) : message.chatId, type: 'group' }, text: message.text },
      },
    };
  }
}
