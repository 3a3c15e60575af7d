/** True when a write lost its condition (ElectroDB wraps the SDK's error in `cause`). */
export function isConditionFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const name = (e as { name?: string }).name;
    if (name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException') return true;
    const message = (e as { message?: string }).message ?? '';
    if (message.includes('conditional request failed')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A conditional write's outcome: 'written', or 'conflict' when its condition did not hold (the
 * item moved on, or is already there); any other error is thrown.
 */
export async function conditionalWrite(write: () => Promise<unknown>): Promise<'written' | 'conflict'> {
  try {
    await write();
    return 'written';
  } catch (error) {
    if (isConditionFailure(error)) return 'conflict';
    throw error;
  }
}
