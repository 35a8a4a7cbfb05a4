/** The account and region the tests' ARNs name, and credentials that keep every SDK client from looking for real ones. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const FAKE_CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };
/** For SDK clients whose send() is mocked (aws-sdk-client-mock). */
export const CLIENT_CONFIG = { region: REGION, credentials: FAKE_CREDENTIALS };
