import { describeError } from '../../domain/errors.js';
import { NotificationDeliveryError } from '../../domain/notifications.js';

/**
 * The service's answer to a notice's request. A request that fails is a NotificationDeliveryError
 * (the caller retries the notice) that says which request failed, then why.
 */
export async function delivered<T>(request: () => Promise<T>, failed: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new NotificationDeliveryError(`${failed}: ${describeError(error)}`, { cause: error });
  }
}
