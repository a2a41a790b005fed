import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics/metrics.js';

export interface MetricsPluginOptions {
  metrics: Metrics;
  /** The path that serves the Prometheus exposition text. Default: `/metrics`. */
  endpoint?: string;
}

/**
 * Serve `/metrics` and time every HTTP request. The route label is the path with id-like
 * segments replaced by `:id`, and `unmatched` for 404 responses, so requests for random paths
 * cannot create an unbounded number of series.
 */
export function useMetrics(options: MetricsPluginOptions): Plugin {
  const endpoint = options.endpoint ?? '/metrics';
  const startedAt = new WeakMap<Request, { time: number; route: string }>();

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === endpoint && request.method === 'GET') {
        const body = await options.metrics.render();
        endResponse(new fetchAPI.Response(body, { status: 200, headers: { 'content-type': options.metrics.contentType } }));
        return;
      }
      startedAt.set(request, { time: performance.now(), route: routeLabel(url.pathname) });
    },
    onResponse({ request, response }) {
      const started = startedAt.get(request);
      if (!started) {
        return;
      }
      options.metrics.observeHttpRequest({
        method: request.method,
        route: response.status === 404 ? 'unmatched' : started.route,
        status: response.status,
        seconds: (performance.now() - started.time) / 1000,
      });
    },
  };
}

/** Replace path segments that look like ids (digits, UUIDs, long hex or base64 strings) with `:id`. */
export function routeLabel(pathname: string): string {
  const segments = pathname
    .split('/')
    .filter(Boolean)
    .slice(0, 4)
    .map((segment) => (/^\d+$|^[0-9a-f-]{16,}$|^[A-Za-z0-9_=-]{24,}$/i.test(segment) ? ':id' : segment));
  return `/${segments.join('/')}`;
}
