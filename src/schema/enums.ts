import { ActorType, ApplicationStatus, DataSource, ModerationStatus, Status } from '../generated/prisma/index.js';
import { builder } from './builder.js';

export const StatusEnum = builder.enumType(Status, {
  name: 'Status',
  description: 'The end-to-end status the seller sees, shared with the other auction services.',
});

export const ApplicationStatusEnum = builder.enumType(ApplicationStatus, {
  name: 'ApplicationStatus',
  description: 'The internal pipeline state.',
});

export const ModerationStatusEnum = builder.enumType(ModerationStatus, { name: 'ModerationStatus' });

export const DataSourceEnum = builder.enumType(DataSource, {
  name: 'DataSource',
  description: 'An external source whose answer the application still waits for.',
});

export const ActorTypeEnum = builder.enumType(ActorType, { name: 'ActorType' });
