// The options every command that reads the config or the store shares, with their environment fallbacks.

/** Without --config or TRIBUTARY_CONFIG every file of feeds/ is read; feeds/sources.yaml is the main one. */
const DEFAULT_CONFIG = 'feeds';

export interface CommonOptions {
  config: string;
  data: string;
  recover: boolean;
  purge: boolean;
}

/** --config, --data, --recover and --purge as given, else TRIBUTARY_CONFIG, TRIBUTARY_DATA and the defaults. */
export function commonOptions(values: { config?: string | undefined; data?: string | undefined; recover?: boolean | undefined; purge?: boolean | undefined }): CommonOptions {
  return {
    config: values.config ?? process.env.TRIBUTARY_CONFIG ?? DEFAULT_CONFIG,
    data: values.data ?? process.env.TRIBUTARY_DATA ?? 'data',
    recover: values.recover ?? false,
    purge: values.purge ?? false,
  };
}
