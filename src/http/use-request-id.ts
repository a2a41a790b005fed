import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

/** An incoming id is reused only when it is short and plain, so it cannot smuggle text into logs. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const REQUEST_ID_HEADER = 'x-request-id';

const requestIds = new WeakMap<Request, string>();

/**
 * Return the id of a request: the caller's `X-Request-Id` when it is acceptable, so one id
 * follows a request through the gateway and our logs, and a new UUID otherwise.
 */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (id === undefined) {
    const incoming = request.headers.get(REQUEST_ID_HEADER)?.trim();
    id = incoming && ACCEPTED_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/** Give every request an id and return it in the `X-Request-Id` response header. */
export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestIdOf(request));
    },
  };
}
