// A small schema DSL: each value is both the runtime OpenAPI v3 (structural) schema that goes into a
// CustomResourceDefinition and, through `Infer`, the TypeScript type of the data it describes.
// Object fields are optional unless wrapped in `required(...)` (the Kubernetes convention).

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the CRDs use. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** A CEL rule (`x-kubernetes-validations`). Rules that mention `oldSelf` are transition rules. */
export interface ValidationRule {
  rule: string;
  message: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
}

/** A schema for values of type T. `_type` exists only at the type level. */
export interface Schema<T> {
  readonly openapi: JSONSchemaProps;
  readonly _type?: T;
}

/** Marks an object field as required. */
export interface Required<T> extends Schema<T> {
  readonly required: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Options common to every node. */
export interface Common<T> {
  description?: string;
  default?: T;
  validations?: ValidationRule[];
}

function base<T>(type: JSONSchemaProps['type'] | undefined, opts: Common<T> & Partial<JSONSchemaProps>): JSONSchemaProps {
  const { description, default: dflt, validations, ...rest } = opts;
  const out: JSONSchemaProps = {};
  if (description !== undefined) out.description = description;
  if (type !== undefined) out.type = type;
  Object.assign(out, rest);
  if (dflt !== undefined) out.default = dflt;
  if (validations && validations.length > 0) out['x-kubernetes-validations'] = validations;
  return out;
}

type StringOpts<T extends string> = Common<T> & Pick<JSONSchemaProps, 'format' | 'minLength' | 'maxLength' | 'pattern'>;
type NumberOpts = Common<number> & Pick<JSONSchemaProps, 'minimum' | 'maximum' | 'format'>;

export function str(opts: StringOpts<string> = {}): Schema<string> {
  return { openapi: base('string', opts) };
}

/** A string restricted to the given values. */
export function enumOf<const V extends readonly string[]>(values: V, opts: StringOpts<V[number]> = {}): Schema<V[number]> {
  return { openapi: { ...base('string', opts), enum: [...values] } };
}

export function int(opts: NumberOpts = {}): Schema<number> {
  return { openapi: base('integer', opts) };
}

/** A 64-bit integer (Kafka ms/bytes settings). */
export function int64(opts: NumberOpts = {}): Schema<number> {
  return { openapi: base('integer', { format: 'int64', ...opts }) };
}

export function num(opts: NumberOpts = {}): Schema<number> {
  return { openapi: base('number', opts) };
}

export function bool(opts: Common<boolean> = {}): Schema<boolean> {
  return { openapi: base('boolean', opts) };
}

/** A Kubernetes resource quantity ("10Gi", "500m", 2): int-or-string, as core/v1 does it. */
export function quantity(opts: Common<string | number> = {}): Schema<string | number> {
  const o = base<string | number>(undefined, opts);
  o['x-kubernetes-int-or-string'] = true;
  o.pattern = QUANTITY_PATTERN;
  return { openapi: o };
}

/** The pattern core/v1 publishes for resource.Quantity. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A value of any JSON type; the API server keeps it as given. Used only where a scalar union is needed. */
export function scalar(opts: Common<string | number | boolean> = {}): Schema<string | number | boolean> {
  const o = base<string | number | boolean>(undefined, opts);
  o['x-kubernetes-preserve-unknown-fields'] = true;
  return { openapi: o };
}

export function arr<T>(items: Schema<T>, opts: Common<T[]> & Pick<JSONSchemaProps, 'minItems' | 'maxItems' | 'x-kubernetes-list-type' | 'x-kubernetes-list-map-keys'> = {}): Schema<T[]> {
  return { openapi: { ...base('array', opts), items: items.openapi } };
}

/** A map from string keys to values of one schema. */
export function map<T>(values: Schema<T>, opts: Common<Record<string, T>> & Pick<JSONSchemaProps, 'maxProperties'> = {}): Schema<Record<string, T>> {
  return { openapi: { ...base('object', opts), additionalProperties: values.openapi } };
}

export function required<T>(s: Schema<T>): Required<T> {
  return { openapi: s.openapi, required: true };
}

type Shape = Record<string, Schema<unknown>>;
type RequiredKeys<P extends Shape> = { [K in keyof P]: P[K] extends Required<unknown> ? K : never }[keyof P];
type OptionalKeys<P extends Shape> = Exclude<keyof P, RequiredKeys<P>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type InferObject<P extends Shape> = Flatten<
  { [K in RequiredKeys<P>]: Infer<P[K]> } & { [K in OptionalKeys<P>]?: Infer<P[K]> }
>;

/** An object with known properties; unknown fields are pruned by the API server. */
export function obj<P extends Shape>(props: P, opts: Common<Partial<InferObject<P>>> = {}): Schema<InferObject<P>> {
  const properties: Record<string, JSONSchemaProps> = {};
  const req: string[] = [];
  for (const [k, s] of Object.entries(props)) {
    properties[k] = s.openapi;
    if ((s as Partial<Required<unknown>>).required === true) req.push(k);
  }
  const o = base('object', opts);
  o.properties = properties;
  if (req.length > 0) o.required = req;
  return { openapi: o };
}
