import { builder } from './builder.js';
import { ActorTypeEnum, StatusEnum } from './enums.js';

export const HistoryEntryRef = builder.prismaObject('ApplicationHistory', {
  name: 'HistoryEntry',
  description: 'One change of an application: the timeline the seller sees and the audit trail.',
  fields: (t) => ({
    id: t.string({ resolve: (entry) => entry.id.toString() }),
    action: t.exposeString('action', { description: 'What happened, such as CREATED, STATUS_CHANGED, EDITED or WITHDRAWN.' }),
    actorType: t.expose('actorType', { type: ActorTypeEnum }),
    actorId: t.exposeString('actorId', { description: 'The seller id, the service name or `pipeline`.' }),
    status: t.expose('status', { type: StatusEnum, description: 'The end-to-end status after the change.' }),
    changes: t.expose('changes', { type: 'JSON', description: 'The changed fields as `{ field: { from, to } }`.' }),
    details: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'Facts about the change beyond the changed fields, such as `{ verdictId, reason }` of MODERATION_FAILED; null when there are none.',
      resolve: (entry) => (entry.details as Record<string, unknown> | null) ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
