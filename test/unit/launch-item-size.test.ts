import { describe, expect, it } from 'vitest';
import {
  DYNAMODB_ITEM_MAX_BYTES,
  dynamoItemBytes,
  LAUNCH_ITEM_GROWTH_BYTES,
  REGISTERED_LAUNCH_MAX_BYTES,
} from '../../domain/launch-item-size.js';

describe('launch item size', () => {
  it('counts an item as DynamoDB does: names and strings in UTF-8, numbers by digits, lists and maps with their overhead', () => {
    expect(dynamoItemBytes({ id: 'abc' })).toBe(2 + 3);
    expect(dynamoItemBytes({ n: 12345 })).toBe(1 + 4);
    expect(dynamoItemBytes({ b: true, z: null })).toBe(2 + 2);
    expect(dynamoItemBytes({ name: 'é𝐀' })).toBe(4 + 2 + 4);
    expect(dynamoItemBytes({ l: ['ab', 1] })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    expect(dynamoItemBytes({ m: { k: 'v' } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(dynamoItemBytes({ gone: undefined })).toBe(0);
  });

  it('keeps room for what gwm adds later and still leaves most of the item to the sample', () => {
    expect(LAUNCH_ITEM_GROWTH_BYTES).toBeGreaterThan(50_000);
    expect(REGISTERED_LAUNCH_MAX_BYTES).toBe(DYNAMODB_ITEM_MAX_BYTES - LAUNCH_ITEM_GROWTH_BYTES);
    expect(REGISTERED_LAUNCH_MAX_BYTES).toBeGreaterThan(300_000);
  });
});
