/**
 * SDK client settings for a client whose calls a test mocks: an endpoint nothing listens on and
 * made-up credentials, so a call the mock does not answer fails instead of reaching AWS.
 */
export const OFFLINE_AWS = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
};
