import { GetParameterCommand, SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { awsErrorName } from '../../runtime/aws-errors.ts';
import { NamedError } from '../../runtime/errors.ts';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';

/** A secret read on first use and kept for the life of the Lambda execution environment. */
export interface SecretSource {
  get(): Promise<string>;
  /** Drops the kept value, so the next get() reads it again (after the secret was rotated). */
  forget?(): void;
}

/** The SSM parameter holding a secret could not be read, or holds nothing. The message names the parameter, never its value. */
export class SecretUnavailable extends NamedError {}

/**
 * A SecureString parameter, decrypted by SSM (so kms:Decrypt only ever happens via SSM) and read
 * once per cold start: a warm Lambda neither pays for the call nor depends on SSM being up.
 */
export class SsmSecret implements SecretSource {
  private value: Promise<string> | undefined;

  constructor(
    private readonly ssm: SSMClient,
    readonly parameterName: string,
  ) {}

  get(): Promise<string> {
    this.value ??= this.read().catch((error: unknown) => {
      // A failed read is not cached: the next invocation tries again.
      this.value = undefined;
      throw error;
    });
    return this.value;
  }

  forget(): void {
    this.value = undefined;
  }

  private async read(): Promise<string> {
    let parameter;
    try {
      ({ Parameter: parameter } = await this.ssm.send(new GetParameterCommand({ Name: this.parameterName, WithDecryption: true })));
    } catch (error) {
      // The SDK's message is about the request (name, permissions), not the value, but only the error name is needed.
      throw new SecretUnavailable(`SSM GetParameter ${this.parameterName} failed: ${awsErrorName(error)}`);
    }
    if (!parameter?.Value) throw new SecretUnavailable(`SSM parameter ${this.parameterName} has no value`);
    if (parameter.Type !== 'SecureString') {
      // Readable by anyone with ssm:GetParameter and shown in the console: refuse rather than normalise it.
      throw new SecretUnavailable(`SSM parameter ${this.parameterName} is a ${parameter.Type}; store the secret as a SecureString`);
    }
    return parameter.Value;
  }
}

export const ssmSecret = (parameterName: string, clientConfig: SSMClientConfig = {}): SsmSecret =>
  new SsmSecret(new SSMClient({ ...SDK_OPTIONS, ...clientConfig }), parameterName);
