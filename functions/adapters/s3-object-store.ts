import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../domain/ports.js';
import { parseS3Uri } from '../../domain/s3-uri.js';

/** Text objects written to S3 for runs to read (the QC run's list of sample outputs). */
export function makeS3ObjectStore(client: S3Client): ObjectStore {
  return {
    async putText(uri, text) {
      const location = parseS3Uri(uri);
      if (!location?.key) throw new Error(`not an s3:// object URI: ${uri}`);
      await client.send(
        new PutObjectCommand({
          Bucket: location.bucket,
          Key: location.key,
          Body: text,
          ContentType: 'text/plain; charset=utf-8',
        }),
      );
    },
  };
}
