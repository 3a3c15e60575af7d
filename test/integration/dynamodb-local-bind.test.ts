import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocalProcess, startDynamoDbLocal } from '../../infra/local/dynamodb/dynamodb-local.js';

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('DynamoDB Local as the local stack starts it', () => {
  let database: DynamoDbLocalProcess;
  beforeAll(async () => {
    database = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await database?.stop();
  });

  it('listens on 127.0.0.1 only, like the other local services', async () => {
    // Prepare: the machine's own addresses other than loopback
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      .map((address) => address?.address ?? '');

    // Act
    const onLoopback = await accepts('127.0.0.1', database.port);
    const elsewhere = await Promise.all(external.map((address) => accepts(address, database.port)));

    // Assess
    expect(database.loopbackOnly).toBe(true);
    expect(database.argv).toContain('LoopbackDynamoDbLocal');
    expect(onLoopback).toBe(true);
    expect(elsewhere.every((accepted) => !accepted)).toBe(true);
  });
});
