// Builds the broker's ObjectStore from its configuration: a local directory (the embedded default) or an
// S3-compatible bucket. Configuration mistakes are ConfigErrors naming the key, its flag and its variable.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, envName, flagName, type BrokerConfig, type ConfigKey } from '../config';
import { LocalObjectStore } from './local-object-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';

export type ObjectStoreConfig = Pick<
  BrokerConfig,
  | 'objectStoreType'
  | 'objectStoreDir'
  | 's3Endpoint'
  | 's3Region'
  | 's3Bucket'
  | 's3Prefix'
  | 's3PathStyle'
  | 's3AccessKeyId'
  | 's3SecretAccessKey'
  | 's3RequestTimeoutMs'
>;

const named = (k: ConfigKey) => `${k} (${flagName(k)} / ${envName(k)})`;

/** The S3ObjectStore options a configuration gives (validated); exported for tests and tools. */
export function s3OptionsFromConfig(config: ObjectStoreConfig): S3ObjectStoreOptions {
  if (config.s3Bucket === '') throw new ConfigError(`objectStoreType is s3 but ${named('s3Bucket')} is not set`);
  const hasId = config.s3AccessKeyId !== '';
  const hasSecret = config.s3SecretAccessKey !== '';
  if (hasId !== hasSecret) {
    const [set, missing] = hasId ? (['s3AccessKeyId', 's3SecretAccessKey'] as const) : (['s3SecretAccessKey', 's3AccessKeyId'] as const);
    throw new ConfigError(`${set} is set but ${named(missing)} is not: give both, or neither to use the AWS SDK default credential chain`);
  }
  return {
    bucket: config.s3Bucket,
    region: config.s3Region,
    endpoint: config.s3Endpoint || undefined,
    prefix: config.s3Prefix,
    forcePathStyle: config.s3PathStyle,
    credentials: hasId ? { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } : undefined,
    requestTimeoutMs: config.s3RequestTimeoutMs,
  };
}

export function createObjectStore(config: ObjectStoreConfig): ObjectStore {
  switch (config.objectStoreType) {
    case 'local':
      return new LocalObjectStore(config.objectStoreDir);
    case 's3':
      return new S3ObjectStore(s3OptionsFromConfig(config));
    default: {
      const never: never = config.objectStoreType;
      throw new ConfigError(`unknown objectStoreType ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Where the object store is, as a URL a person recognises (no endpoint or credentials): `s3://bucket/prefix` or
 * `file:///abs/dir`. DescribeLogDirs reports it as the "log dir" holding the partitions' remote copies.
 */
export function objectStoreLocation(config: ObjectStoreConfig): string {
  if (config.objectStoreType === 's3') return `s3://${config.s3Bucket}/${config.s3Prefix}`;
  return pathToFileURL(path.resolve(config.objectStoreDir)).href;
}
