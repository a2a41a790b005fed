import type { Logger } from '../logger.js';
import { SandboxServer, type SandboxFaults, type SandboxReply, type SandboxRequest } from './sandbox.js';

export interface PartnerSandboxOptions {
  faults?: Partial<SandboxFaults>;
  logger?: Logger;
}

/**
 * The common shape of a partner sandbox: a SandboxServer whose requests go to `route`, with the
 * server exposed for fault injection and call counts.
 */
export abstract class PartnerSandbox {
  readonly server: SandboxServer;

  constructor(name: string, options: PartnerSandboxOptions = {}) {
    this.server = new SandboxServer(name, (request) => this.route(request), { faults: options.faults, logger: options.logger });
  }

  get url(): string {
    return this.server.url;
  }

  /** Start listening on 127.0.0.1; port 0 picks a free port. */
  listen(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  protected abstract route(request: SandboxRequest): SandboxReply | Promise<SandboxReply>;
}
