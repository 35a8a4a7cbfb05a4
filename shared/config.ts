import { z } from 'zod';
import { ConfigurationError } from './errors.ts';

/**
 * The one place that reads environment variables. Each function declares the variables it needs
 * as a zod object; a missing or malformed one is reported together with all the others.
 */
export function readConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return env[name] === undefined ? `${name} is not set` : `${name}: ${issue.message}`;
  });
  throw new ConfigurationError(
    `Configuration: ${problems.join('; ')}. Set these in serverless.yml (provider.environment) or the shell.`,
  );
}

const positiveSeconds = z.coerce.number().int().positive();

/** What the start step needs: the defaults that an execution input may leave out. */
export const startConfigShape = {
  EXPORT_BUCKET: z.string().min(3),
  EXPORT_PREFIX: z.string().default('{sourceId}/{date}'),
  EXPORT_ROLE_ARN: z.string().startsWith('arn:'),
  EXPORT_KMS_KEY_ID: z.string().min(1),
  DEFAULT_DEADLINE_SECONDS: positiveSeconds.default(24 * 3600),
  MIN_POLL_SECONDS: positiveSeconds.default(60),
  MAX_POLL_SECONDS: positiveSeconds.default(3600),
};
export type StartConfig = z.infer<z.ZodObject<typeof startConfigShape>>;

export const notifyConfigShape = {
  TOPIC_ARN: z.string().startsWith('arn:'),
};
export type NotifyConfig = z.infer<z.ZodObject<typeof notifyConfigShape>>;
