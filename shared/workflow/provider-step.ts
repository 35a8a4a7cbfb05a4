import type { ExportProvider } from '../export-kinds/contract.ts';
import type { ExportRequest } from '../export-kinds/request.ts';
import type { NotificationPublisher } from '../notify/sns-publisher.ts';
import type { Clock } from '../runtime/clock.ts';

/** What the steps that call the export's provider and announce what came of it (start, poll, cancel) are made with. */
export interface ProviderStepDeps {
  /** The provider of the request's kind (shared/slots/clients.ts exportProviders). */
  providerFor: (request: ExportRequest) => ExportProvider;
  /** Publishes the change of status the step makes itself: no Notify state after it. */
  publisher: NotificationPublisher;
  clock: Clock;
}
