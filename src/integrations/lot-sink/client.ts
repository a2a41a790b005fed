import { z } from 'zod';
import type { Config } from '../../config.js';
import { ConfigError } from '../../config.js';
import { PartnerHttpClient } from '../http.js';
import { parseResponse, type PartnerClientOptions } from '../response.js';
import type { Lot, LotSink } from './contract.js';
import { formatLotMessage } from './message.js';

/** Telegram's own Bot API host, used when TELEGRAM_API_URL is not set. */
export const TELEGRAM_DEFAULT_API_URL = 'https://api.telegram.org';

const lotAnswerSchema = z.object({ lotId: z.string().min(1) });

/**
 * The lots service over HTTP: `POST /v1/lots` with the lot as JSON and its `Idempotency-Key`
 * header. The service keeps the first lot per key, so a retried hand-off creates no second lot.
 */
export class HttpLotsSink implements LotSink {
  readonly kind = 'lots';
  private readonly http: PartnerHttpClient;

  constructor(options: PartnerClientOptions) {
    this.http = new PartnerHttpClient({ ...options, partner: 'lots' });
  }

  async handOff(lot: Lot): Promise<{ reference: string }> {
    const response = await this.http.request({
      operation: 'create_lot',
      method: 'POST',
      path: '/v1/lots',
      json: lot,
      headers: { 'idempotency-key': lot.idempotencyKey },
    });
    const { lotId } = parseResponse(response, lotAnswerSchema, 'lots', 'create_lot');
    return { reference: lotId };
  }
}

const sendMessageAnswerSchema = z.object({
  ok: z.literal(true),
  result: z.object({ message_id: z.number().int() }),
});

export interface TelegramLotSinkOptions extends Omit<PartnerClientOptions, 'baseUrl'> {
  /** The Bot API base URL. Default: TELEGRAM_DEFAULT_API_URL. */
  baseUrl?: string;
  botToken: string;
  chatId: string;
}

/**
 * The auction team's Telegram chat, through the Bot API method `sendMessage`. The reference is
 * `<chat id>:<message id>`.
 */
export class TelegramLotSink implements LotSink {
  readonly kind = 'telegram';
  private readonly http: PartnerHttpClient;

  constructor(private readonly options: TelegramLotSinkOptions) {
    this.http = new PartnerHttpClient({ ...options, baseUrl: options.baseUrl ?? TELEGRAM_DEFAULT_API_URL, partner: 'telegram' });
  }

  // NOTE: the Bot API has no idempotency key. If the response to a sent message is lost, the retry
  // posts the lot a second time. Only the pipeline's record of the hand-off prevents later repeats.
  async handOff(lot: Lot): Promise<{ reference: string }> {
    const response = await this.http.request({
      operation: 'send_message',
      method: 'POST',
      path: `/bot${this.options.botToken}/sendMessage`,
      json: { chat_id: this.options.chatId, text: formatLotMessage(lot), link_preview_options: { is_disabled: true } },
    });
    const answer = parseResponse(response, sendMessageAnswerSchema, 'telegram', 'send_message');
    return { reference: `${this.options.chatId}:${answer.result.message_id}` };
  }
}

/**
 * Build the lot sink that LOT_SINK names. Throws ConfigError when LOT_SINK=lots and LOTS_URL is
 * not set (the sandboxes set it in local runs).
 */
export function createLotSink(config: Config, options: Omit<PartnerClientOptions, 'baseUrl'> = {}): LotSink {
  const common = { timeoutMs: config.PARTNER_TIMEOUT_MS, retries: config.PARTNER_RETRIES, ...options };
  if (config.LOT_SINK === 'telegram') {
    return new TelegramLotSink({ ...common, baseUrl: config.TELEGRAM_API_URL, botToken: config.TELEGRAM_BOT_TOKEN, chatId: config.TELEGRAM_CHAT_ID });
  }
  if (!config.LOTS_URL) {
    throw new ConfigError('LOTS_URL is missing: LOT_SINK=lots needs the lots service URL, or set SANDBOXES=true to use the sandbox.');
  }
  return new HttpLotsSink({ ...common, baseUrl: config.LOTS_URL });
}
