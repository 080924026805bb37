/**
 * The CLI's configuration: three environment variables, the same ones `npm start` and the Lambdas
 * read. Read once per run, before the first request, and checked all at once so an operator fixes
 * every missing variable in one go. The secret is never echoed, not even in an error.
 */
export interface CliConfig {
  baseUrl: string;
  appKey: string;
  appSecret: string;
  /** `BYROBOT_IMPORT_TIMEOUT_MS`: per import request; byrobot can take minutes. @default the client's 600000 */
  importTimeoutMs?: number;
}

export const IMPORT_TIMEOUT_VARIABLE = 'BYROBOT_IMPORT_TIMEOUT_MS';

export const CONFIG_VARIABLES = {
  baseUrl: 'BYROBOT_BASE_URL',
  appKey: 'BYROBOT_APP_KEY',
  appSecret: 'BYROBOT_APP_SECRET',
} as const;

const HINT = 'For the local simulator, `npm run sim` prints the values to export.';

export class ConfigError extends Error {
  /** The variables at fault. */
  readonly variables: string[];
  constructor(message: string, variables: string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

export function loadConfig(env: Record<string, string | undefined>): CliConfig {
  const read = (name: string) => env[name]?.trim() ?? '';
  const values = {
    baseUrl: read(CONFIG_VARIABLES.baseUrl),
    appKey: read(CONFIG_VARIABLES.appKey),
    appSecret: read(CONFIG_VARIABLES.appSecret),
  };
  const missing = (Object.keys(CONFIG_VARIABLES) as Array<keyof typeof CONFIG_VARIABLES>)
    .filter((key) => values[key] === '')
    .map((key) => CONFIG_VARIABLES[key]);
  if (missing.length > 0) {
    const list = missing.join(', ');
    throw new ConfigError(
      `missing environment variable${missing.length > 1 ? 's' : ''} ${list}. ${HINT}`,
      missing,
    );
  }
  const url = URL.parse(values.baseUrl);
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new ConfigError(
      `${CONFIG_VARIABLES.baseUrl} must be an absolute http(s) URL such as https://api.byrobot.cn, got ${JSON.stringify(values.baseUrl)}. ${HINT}`,
      [CONFIG_VARIABLES.baseUrl],
    );
  }
  const timeoutText = read(IMPORT_TIMEOUT_VARIABLE);
  if (timeoutText === '') return values;
  const importTimeoutMs = Number(timeoutText);
  if (!Number.isInteger(importTimeoutMs) || importTimeoutMs < 1) {
    throw new ConfigError(
      `${IMPORT_TIMEOUT_VARIABLE} must be a whole number of milliseconds, got ${JSON.stringify(timeoutText)}`,
      [IMPORT_TIMEOUT_VARIABLE],
    );
  }
  return { ...values, importTimeoutMs };
}
