// The parts of s3rver 3.7 (a CommonJS package without types) that the local S3 uses.

declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { AddressInfo } from 'node:net';

  namespace S3rver {
    interface Options {
      address?: string;
      port?: number;
      /** Turns off its console logger (winston) and Koa's default error printing. */
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
      /** Treat a non-IP host name as a bucket name (virtual-host style). */
      vhostBuckets?: boolean;
      serviceEndpoint?: string;
      configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
    }

    /** The notification s3rver emits as 'event' (not 's3event'): keys are not URL-encoded. */
    interface Notification {
      Records: NotificationRecord[];
    }

    interface NotificationRecord {
      eventVersion: string;
      eventSource: string;
      awsRegion: string;
      eventTime: string;
      /** ObjectCreated:Put | ObjectCreated:Copy | ObjectCreated:Post | ObjectRemoved:Delete. */
      eventName: string;
      userIdentity: { principalId: string };
      requestParameters: { sourceIPAddress: string };
      responseElements: Record<string, string>;
      s3: {
        s3SchemaVersion: string;
        configurationId: string;
        bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
        object: { key: string; sequencer: string; size?: number; eTag?: string };
      };
    }

    interface Logger {
      debug(message: string, ...args: unknown[]): unknown;
      info(message: string, ...args: unknown[]): unknown;
      warn(message: string, ...args: unknown[]): unknown;
      error(message: string, ...args: unknown[]): unknown;
      close(): void;
      exceptions: { unhandle(): void };
    }

    /** The filesystem store (one folder per bucket). */
    interface Store {
      getBucket(name: string): Promise<{ name: string; creationDate: Date } | null>;
      putBucket(name: string): Promise<unknown>;
      /** Throws when the object does not exist; `etag` is JSON-quoted. */
      getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
    }
  }

  class S3rver extends EventEmitter {
    constructor(options?: S3rver.Options);
    store: S3rver.Store;
    logger: S3rver.Logger;
    /** Koa's request context prototype: controllers log through `context.logger`. */
    context: { logger: S3rver.Logger };
    /** Creates the configured buckets, then listens. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    configureBuckets(): Promise<unknown>;
    /** The Koa request handler, for a server of one's own. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }

  export = S3rver;
}

declare module 's3rver/lib/models/account.js' {
  interface AwsAccount {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }
  /** The one account s3rver knows; it verifies request signatures against its key pairs. */
  export const DUMMY_ACCOUNT: AwsAccount;
}
