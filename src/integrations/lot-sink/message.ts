import type { Lot } from './contract.js';

/** Telegram rejects a message text longer than this, in characters. */
export const TELEGRAM_MAX_TEXT_LENGTH = 4096;

const numberFormat = new Intl.NumberFormat('ru-RU');
const moscowTime = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', dateStyle: 'short', timeStyle: 'short' });

/**
 * Render a lot as the plain-text Telegram message the auction team reads, in Russian. Plain text
 * rather than Markdown, so that an address or a model name cannot break the markup.
 */
export function formatLotMessage(lot: Lot): string {
  const car = [[lot.mark, lot.model].filter(Boolean).join(' '), lot.year === undefined ? undefined : `${lot.year} г.`].filter(Boolean).join(', ');
  const lines = [
    `Новый лот для аукциона: заявка № ${lot.applicationId}`,
    `Автомобиль: ${car || 'не указан'}`,
    `VIN: ${lot.vin}`,
    lot.mileage === undefined ? undefined : `Пробег: ${numberFormat.format(lot.mileage)} км`,
    lot.price === undefined ? undefined : `Цена продавца: ${numberFormat.format(lot.price)} ₽`,
    lot.region ? `Регион: ${lot.region}` : undefined,
    `Осмотр: ${formatMoscowTime(lot.inspectTime)}, ${lot.inspectPlace}`,
    `Объявление: ${lot.offerId}`,
    '',
    'Отчёты:',
    `ПроАвто: ${lot.reports.proAuto ?? 'нет'}`,
    `Оценка CME: ${lot.reports.cmeEvaluation ?? 'нет'}`,
    `Осмотр CME: ${lot.reports.cmeInspection ?? 'нет'}`,
  ];
  const text = lines.filter((line) => line !== undefined).join('\n');
  return text.length <= TELEGRAM_MAX_TEXT_LENGTH ? text : `${text.slice(0, TELEGRAM_MAX_TEXT_LENGTH - 1)}…`;
}

function formatMoscowTime(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : `${moscowTime.format(time)} (МСК)`;
}
